/**
 * Runs a registry of jobs: one fiber per job, forked in the layer's scope (so interrupted on
 * shutdown), waking at each tick of the job's schedule and never at start-up. Any number of
 * replicas may run the same registry: each tick is claimed in `scheduler_jobs` by exactly one of
 * them, and a run holds the job's advisory lock, so a slow run never overlaps another anywhere.
 */
import { Cause, Clock, type Config, Context, DateTime, Effect, Exit, Layer, Option } from "effect"
import type { SqlClient } from "effect/sql"
import { hostname } from "node:os"
import { type Job, JobRun } from "./Job.ts"
import { formatJobSchedule, type JobSchedule, nextTick } from "./JobSchedule.ts"
import { EnableScheduler, jobScheduleConfig, scheduleVariable } from "./SchedulerConfig.ts"
import { type JobState, type RunOutcome, SchedulerJobsRepo } from "./SchedulerJobsRepo.ts"

export interface ScheduledJob {
  readonly name: string
  readonly schedule: JobSchedule
}

export interface JobRunnerOptions {
  /** Names this runner in `last_run_by` and `JobRun.instance`; `host:pid` by default. */
  readonly instance?: string
}

/** `last_error` keeps this many characters of a failure. */
export const maxErrorLength = 2000

/** A failure as one line for `last_error`: the error's name and message, truncated. */
export const describeFailure = (cause: Cause.Cause<unknown>): string => {
  if (Cause.hasInterruptsOnly(cause)) return "Interrupted"
  const error = Cause.squash(cause)
  let text: string
  if (error instanceof Error) {
    text = error.message === "" ? error.name : `${error.name}: ${error.message}`
  } else if (typeof error === "string") {
    text = error
  } else {
    try {
      text = JSON.stringify(error) ?? String(error)
    } catch {
      text = String(error)
    }
  }
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength - 1)}…` : text
}

// Sleeps are capped so that a wall-clock jump (a suspended VM, an NTP step) delays a tick by at
// most this much: ticks are wall-clock instants, while timers measure elapsed time.
const maxSleepMillis = 60_000

const sleepUntil = (at: number) =>
  Effect.gen(function*() {
    let now = yield* Clock.currentTimeMillis
    while (now < at) {
      yield* Effect.sleep(Math.min(at - now, maxSleepMillis))
      now = yield* Clock.currentTimeMillis
    }
  })

// Also catches names that differ only by `-` and `_`, which would share a config variable.
const checkUniqueNames = (jobs: ReadonlyArray<Job<unknown>>) => {
  const seen = new Map<string, string>()
  for (const job of jobs) {
    const variable = scheduleVariable(job.name)
    const other = seen.get(variable)
    if (other !== undefined) {
      return Effect.die(new Error(`Jobs "${other}" and "${job.name}" would share the variable ${variable}`))
    }
    seen.set(variable, job.name)
  }
  return Effect.void
}

export class JobRunner extends Context.Service<JobRunner, {
  /** The jobs this runner runs, with the schedules in effect (switched-off jobs are left out). */
  readonly scheduled: ReadonlyArray<ScheduledJob>
}>()("@cuebx/jobs/JobRunner") {
  /** Runs `jobs` for as long as the layer's scope; reads each job's schedule from config. */
  static readonly layer = <R = never>(
    jobs: ReadonlyArray<Job<R>>,
    options: JobRunnerOptions = {}
  ): Layer.Layer<JobRunner, Config.ConfigError, SqlClient.SqlClient | Exclude<R, JobRun>> =>
    Layer.effect(
      JobRunner,
      Effect.gen(function*() {
        yield* checkUniqueNames(jobs)
        const repo = yield* SchedulerJobsRepo.make
        const instance = options.instance ?? `${hostname()}:${process.pid}`

        const finish = (job: string, exit: Exit.Exit<unknown, unknown>) =>
          Effect.gen(function*() {
            const outcome: RunOutcome = Exit.isSuccess(exit)
              ? { _tag: "Success" }
              : { _tag: "Failure", error: describeFailure(exit.cause) }
            yield* repo.recordFinish(job, yield* DateTime.now, outcome)
          }).pipe(Effect.catchCause((cause) => Effect.logWarning(`Could not record the end of job ${job}`, cause)))

        const runOnce = (job: Job<R>, tick: DateTime.Utc) =>
          Effect.gen(function*() {
            yield* repo.recordStart(job.name, instance, yield* DateTime.now)
            yield* job.run.pipe(
              Effect.provideService(JobRun, JobRun.of({ job: job.name, tick, instance })),
              Effect.withSpan(`Job ${job.name}`, {
                attributes: { "job.name": job.name, "job.tick": DateTime.formatIso(tick), "job.instance": instance }
              }),
              // A finalizer, so a run interrupted by shutdown is recorded too.
              Effect.onExit((exit) => finish(job.name, exit)),
              // Not reached when this fiber is interrupted (shutdown), which therefore ends the loop.
              Effect.catchCause((cause) =>
                Effect.logError(`Job ${job.name} failed; it runs again at its next tick`, cause)
              )
            )
          })

        const runTick = (job: Job<R>, tick: DateTime.Utc) =>
          Effect.gen(function*() {
            if (!(yield* repo.claim(job.name, tick))) {
              return yield* Effect.logDebug(`Job ${job.name}: another instance claimed the tick`)
            }
            const ran = yield* repo.withLock(job.name, runOnce(job, tick))
            if (Option.isNone(ran)) {
              yield* repo.recordSkip(job.name)
              yield* Effect.logWarning(`Job ${job.name}: skipped this tick, its previous run is still in progress`)
            }
          }).pipe(
            Effect.withSpan("JobRunner.tick", {
              root: true,
              attributes: { "job.name": job.name, "job.tick": DateTime.formatIso(tick) }
            }),
            Effect.annotateLogs({ tick: DateTime.formatIso(tick) })
          )

        const loop = (job: Job<R>, schedule: JobSchedule) =>
          Effect.gen(function*() {
            yield* repo.register(job.name, formatJobSchedule(schedule)).pipe(
              Effect.catchCause((cause) => Effect.logWarning(`Could not register job ${job.name}`, cause))
            )
            while (true) {
              const tick = nextTick(schedule, yield* Clock.currentTimeMillis)
              yield* sleepUntil(tick)
              yield* runTick(job, DateTime.makeUnsafe(tick)).pipe(
                Effect.catchCause((cause) => Effect.logError(`Job ${job.name}: the tick could not be handled`, cause))
              )
            }
          }).pipe(Effect.annotateLogs({ job: job.name }))

        const scheduled: Array<ScheduledJob> = []
        for (const job of jobs) {
          const schedule = yield* jobScheduleConfig(job)
          if (Option.isNone(schedule)) {
            yield* Effect.logInfo(`Job ${job.name} is switched off by ${scheduleVariable(job.name)}`)
            continue
          }
          scheduled.push({ name: job.name, schedule: schedule.value })
          yield* Effect.forkScoped(loop(job, schedule.value))
        }
        yield* Effect.logInfo("Job runner started", {
          instance,
          jobs: scheduled.map((job) => `${job.name}: ${formatJobSchedule(job.schedule)}`)
        })
        return JobRunner.of({ scheduled })
      })
    )

  /**
   * The runner for a process that runs jobs only when `ENABLE_SCHEDULER` is true (the API);
   * nothing otherwise.
   */
  static readonly layerWhenEnabled = <R = never>(
    jobs: ReadonlyArray<Job<R>>,
    options: JobRunnerOptions = {}
  ): Layer.Layer<never, Config.ConfigError, SqlClient.SqlClient | Exclude<R, JobRun>> =>
    Layer.unwrap(Effect.gen(function*() {
      const enabled = yield* EnableScheduler
      yield* Effect.logInfo(enabled ? "Scheduler enabled in this process" : "Scheduler disabled in this process")
      return enabled
        ? Layer.effectDiscard(Effect.void).pipe(Layer.provide(JobRunner.layer(jobs, options)))
        : Layer.empty
    }))

  /** The recorded state of every job (`scheduler_jobs`), by name, whether or not a runner is up. */
  static readonly status: Effect.Effect<ReadonlyArray<JobState>, never, SqlClient.SqlClient> = SchedulerJobsRepo.make
    .pipe(Effect.flatMap((repo) => repo.list))
}
