/**
 * The job runner against a real PostgreSQL, in real time: two runner instances (each with its
 * own pool, as two replicas would have) run the same jobs on one-second schedules, and every
 * tick runs exactly once; failures are recorded and retried at the next tick; a slow run never
 * overlaps the next one; and the recorded state matches what ran.
 */
import { DatabaseLive } from "@cuebx/db"
import { captureLogs, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import {
  Cause,
  Clock,
  ConfigProvider,
  Context,
  DateTime,
  type Duration,
  Effect,
  Exit,
  Layer,
  Option,
  Schedule
} from "effect"
import { SqlClient } from "effect/sql"
import { defineJob, type Job, JobRun } from "../src/Job.ts"
import { JobRunner } from "../src/JobRunner.ts"
import { type JobState, SchedulerJobsRepo } from "../src/SchedulerJobsRepo.ts"

interface RunRow {
  readonly job: string
  readonly tick: Date
  readonly instance: string
  readonly startedAt: Date
  readonly finishedAt: Date | null
}

const RunsTable = Layer.effectDiscard(Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE job_runs (
      job text NOT NULL,
      tick timestamptz NOT NULL,
      instance text NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz
    )`
}))

/** A test job's run: one row per run, with when it started and (unless interrupted) finished. */
const recordRun = <E = never, R = never>(work: Effect.Effect<void, E, R> = Effect.void) =>
  Effect.gen(function*() {
    const run = yield* JobRun
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      INSERT INTO job_runs (job, tick, instance, started_at)
      VALUES (${run.job}, ${DateTime.toDate(run.tick)}, ${run.instance}, clock_timestamp())`
    yield* work
    yield* sql`
      UPDATE job_runs SET finished_at = clock_timestamp() WHERE job = ${run.job} AND tick = ${
      DateTime.toDate(run.tick)
    }`
  })

const runsOf = (job: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<RunRow>`SELECT * FROM job_runs WHERE job = ${job} ORDER BY tick, started_at`
  })

const stateOf = (job: string) =>
  Effect.gen(function*() {
    const repo = yield* SchedulerJobsRepo.make
    return yield* repo.find(job)
  })

const waitFor = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  until: (value: A) => boolean,
  timeout: Duration.Input = "10 seconds"
) =>
  check.pipe(
    Effect.repeat({ until, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout(timeout),
    Effect.orDie
  )

const millisOf = (at: DateTime.Utc | null) => at === null ? Number.NaN : DateTime.toEpochMillis(at)

/** A runner replica: its own pool on the test database, as another process would have. */
const replica = <R>(jobs: ReadonlyArray<Job<R>>, instance: string, logs?: Layer.Layer<never>) =>
  JobRunner.layer(jobs, { instance }).pipe(
    Layer.provide(Layer.fresh(DatabaseLive)),
    Layer.provide(logs ?? Layer.empty)
  )

/**
 * Runs the replicas until `done` holds (polled), then stops them half a second after a whole
 * second, so short runs are never cut off by the shutdown. Returns the epoch millis it started at.
 */
const runReplicas = <E, R, E2, R2>(replicas: Layer.Layer<JobRunner, E, R>, done: Effect.Effect<boolean, E2, R2>) =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const runner = yield* Layer.build(replicas).pipe(Effect.map(Context.get(JobRunner)))
    yield* waitFor(done, (ok) => ok, "30 seconds")
    const now = yield* Clock.currentTimeMillis
    yield* Effect.sleep(Math.ceil((now - 500) / 1000) * 1000 + 500 - now)
    return { startedAt, runner }
  }).pipe(Effect.scoped)

const secondsApart = (ticks: ReadonlyArray<number>) => ticks.slice(1).map((tick, index) => tick - ticks[index]!)

const Infra = RunsTable.pipe(
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(TestInfra.layer({
    env: { SCHEDULER_CONFIGURED_TICK: "1 second", SCHEDULER_SWITCHED_OFF: "off" }
  }))
)

layer(Infra, { excludeTestServices: true })("the job runner", (it) => {
  it.effect("runs every tick exactly once across two replicas, and not at start-up", () =>
    Effect.gen(function*() {
      const jobs = [
        defineJob({ name: "tick-cron", schedule: "* * * * * *", run: recordRun() }),
        defineJob({ name: "tick-interval", schedule: "1 second", run: recordRun() }),
        // Its default is an hour; SCHEDULER_CONFIGURED_TICK makes it one second.
        defineJob({ name: "configured-tick", schedule: "1 hour", run: recordRun() }),
        defineJob({ name: "switched-off", schedule: "1 second", run: recordRun() }),
        defineJob({ name: "new-year", schedule: "0 3 1 1 *", run: recordRun() })
      ]
      const ranThreeTimes = Effect.forEach(
        ["tick-cron", "tick-interval", "configured-tick"],
        (name) => Effect.map(runsOf(name), (runs) => runs.filter((run) => run.finishedAt !== null).length >= 3)
      ).pipe(Effect.map((done) => done.every(Boolean)))
      const { runner, startedAt } = yield* runReplicas(
        Layer.mergeAll(replica(jobs, "replica-a"), replica(jobs, "replica-b")),
        ranThreeTimes
      )
      assert.deepStrictEqual(runner.scheduled.map((job) => job.name), [
        "tick-cron",
        "tick-interval",
        "configured-tick",
        "new-year"
      ])

      for (const name of ["tick-cron", "tick-interval", "configured-tick"]) {
        const runs = yield* runsOf(name)
        const ticks = runs.map((run) => run.tick.getTime())
        assert.deepStrictEqual(ticks, [...new Set(ticks)], `${name}: a tick ran twice`)
        assert.isAtLeast(ticks.length, 3, `${name}: too few ticks ran`)
        assert.deepStrictEqual(secondsApart(ticks), ticks.slice(1).map(() => 1000), `${name}: a tick was missed`)
        for (const tick of ticks) {
          assert.strictEqual(tick % 1000, 0, `${name}: ticks are whole seconds`)
          assert.isAbove(tick, startedAt, `${name}: ran at start-up`)
        }
        assert.isTrue(runs.every((run) => run.finishedAt !== null))

        const state = Option.getOrThrow(yield* stateOf(name))
        const last = runs[runs.length - 1]!
        assert.strictEqual(state.runCount, runs.length)
        assert.strictEqual(state.failureCount, 0)
        assert.strictEqual(state.skippedCount, 0)
        assert.strictEqual(state.lastOutcome, "success")
        assert.isNull(state.lastError)
        assert.strictEqual(state.lastRunBy, last.instance)
        assert.strictEqual(millisOf(state.lastTickAt), last.tick.getTime())
        assert.isAtLeast(millisOf(state.lastStartedAt), millisOf(state.lastTickAt))
        assert.isAtLeast(millisOf(state.lastFinishedAt), millisOf(state.lastStartedAt))
      }
      assert.strictEqual(Option.getOrThrow(yield* stateOf("configured-tick")).schedule, "every 1s")

      assert.deepStrictEqual(yield* runsOf("switched-off"), [])
      assert.isTrue(Option.isNone(yield* stateOf("switched-off")))

      // Registered (so admins see it) but never run: its tick is not due.
      const newYear = Option.getOrThrow(yield* stateOf("new-year"))
      assert.strictEqual(newYear.schedule, `cron "0 3 1 1 *" (UTC)`)
      assert.strictEqual(newYear.runCount, 0)
      assert.isNull(newYear.lastTickAt)
      assert.isNull(newYear.lastOutcome)

      const status = yield* JobRunner.status
      assert.includeMembers(status.map((row: JobState) => row.jobName), [
        "configured-tick",
        "new-year",
        "tick-cron",
        "tick-interval"
      ])
    }))

  it.effect("records a failed run, logs it, and runs the job again at the next tick", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      let attempts = 0
      const flaky = defineJob({
        name: "flaky",
        schedule: "1 second",
        run: recordRun(Effect.suspend(() => {
          attempts++
          return attempts === 1 ? Effect.fail(new Error("quota service unreachable")) : Effect.void
        }))
      })
      // An interruption from inside a run (say, joining an interrupted fiber) is a failed run too,
      // and must not stop the job's loop.
      const interruptsItself = defineJob({ name: "interrupts-itself", schedule: "1 second", run: Effect.interrupt })
      yield* Effect.gen(function*() {
        yield* Layer.build(replica([flaky, interruptsItself], "replica-a", logs.layer))

        const failed = Option.getOrThrow(
          yield* waitFor(stateOf("flaky"), (state) => Option.isSome(state) && state.value.failureCount > 0)
        )
        assert.strictEqual(failed.lastOutcome, "failure")
        assert.strictEqual(failed.lastError, "Error: quota service unreachable")
        assert.strictEqual(failed.failureCount, 1)
        assert.strictEqual(failed.runCount, 1)

        // The failed run released the job's lock.
        const repo = yield* SchedulerJobsRepo.make
        assert.isTrue(Option.isSome(yield* repo.withLock("flaky", Effect.void)))

        const recovered = Option.getOrThrow(
          yield* waitFor(stateOf("flaky"), (state) => Option.isSome(state) && state.value.lastOutcome === "success")
        )
        assert.strictEqual(recovered.runCount, 2)
        assert.strictEqual(recovered.failureCount, 1)
        assert.isNull(recovered.lastError)
        assert.strictEqual(millisOf(recovered.lastTickAt) - millisOf(failed.lastTickAt), 1000)

        const interrupted = Option.getOrThrow(
          yield* waitFor(stateOf("interrupts-itself"), (state) => Option.isSome(state) && state.value.failureCount >= 2)
        )
        assert.strictEqual(interrupted.lastOutcome, "failure")
        assert.strictEqual(interrupted.lastError, "Interrupted")
      }).pipe(Effect.scoped)

      const runs = yield* runsOf("flaky")
      assert.isAtLeast(runs.length, 2)
      assert.isNull(runs[0]!.finishedAt)
      const errors = logs.lines.filter((line) => line.level === "ERROR" && line.annotations["job"] === "flaky")
      assert.lengthOf(errors, 1)
      assert.include(String(errors[0]!.message), "Job flaky failed")
    }))

  it.effect("never overlaps a slow run with the next one on any replica, and logs the skipped ticks", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      let active = 0
      let maxActive = 0
      const slow = defineJob({
        name: "slow",
        schedule: "1 second",
        run: recordRun(
          Effect.acquireUseRelease(
            Effect.sync(() => {
              active++
              maxActive = Math.max(maxActive, active)
            }),
            () => Effect.sleep("1500 millis"),
            () => Effect.sync(() => active--)
          )
        )
      })
      const skippedAndRanTwice = Effect.all([stateOf("slow"), runsOf("slow")]).pipe(
        Effect.map(([state, runs]) =>
          Option.isSome(state) && state.value.skippedCount >= 1 &&
          runs.filter((run) => run.finishedAt !== null).length >= 2
        )
      )
      yield* runReplicas(
        Layer.mergeAll(replica([slow], "replica-a", logs.layer), replica([slow], "replica-b", logs.layer)),
        skippedAndRanTwice
      )

      assert.strictEqual(maxActive, 1)
      const runs = yield* runsOf("slow")
      assert.isAtLeast(runs.length, 2)
      const ticks = runs.map((run) => run.tick.getTime())
      assert.deepStrictEqual(ticks, [...new Set(ticks)])
      runs.slice(1).forEach((run, index) => {
        const previous = runs[index]!
        assert.isNotNull(previous.finishedAt, "a run was still going when the next one started")
        assert.isAtLeast(run.startedAt.getTime(), previous.finishedAt!.getTime())
      })

      const state = Option.getOrThrow(yield* stateOf("slow"))
      assert.isAtLeast(state.skippedCount, 1)
      assert.strictEqual(state.runCount, runs.length)
      // A run still going at shutdown is interrupted, and recorded as such.
      if (runs[runs.length - 1]!.finishedAt === null) {
        assert.strictEqual(state.lastOutcome, "failure")
        assert.strictEqual(state.lastError, "Interrupted")
      }
      const skips = logs.lines.filter((line) =>
        line.level === "WARN" && String(line.message).includes("skipped this tick")
      )
      assert.strictEqual(skips.length, state.skippedCount)
      assert.isTrue(skips.every((line) => line.annotations["job"] === "slow"))
    }))

  it.effect("runs the jobs in another program only when ENABLE_SCHEDULER is true", () =>
    Effect.gen(function*() {
      const { env } = yield* TestEnvironment
      const job = defineJob({ name: "api-side", schedule: "1 hour", run: Effect.void })
      const logs = captureLogs()
      const withScheduler = <A, E, R>(enabled: string, check: Effect.Effect<A, E, R>) =>
        Layer.build(JobRunner.layerWhenEnabled([job]).pipe(Layer.provide(Layer.fresh(DatabaseLive)))).pipe(
          Effect.andThen(check),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ ...env, ENABLE_SCHEDULER: enabled }))),
          Effect.provide(logs.layer),
          Effect.scoped
        )
      const logged = (text: string) => logs.lines.some((line) => String(line.message).includes(text))

      // The runner logs its start while its layer is built: switched off, the build starts nothing.
      yield* withScheduler("false", Effect.void)
      assert.isTrue(logged("Scheduler disabled in this process"))
      assert.isFalse(logged("Job runner started"))
      assert.isTrue(Option.isNone(yield* stateOf("api-side")))
      const registered = yield* withScheduler("true", waitFor(stateOf("api-side"), Option.isSome))
      assert.isTrue(logged("Job runner started"))
      assert.strictEqual(Option.getOrThrow(registered).schedule, "every 1h")
    }))

  it.effect("refuses two jobs whose names share a schedule variable", () =>
    Effect.gen(function*() {
      const jobs = [
        defineJob({ name: "purge-users", schedule: "1 hour", run: Effect.void }),
        defineJob({ name: "purge_users", schedule: "1 hour", run: Effect.void })
      ]
      const exit = yield* Layer.build(JobRunner.layer(jobs)).pipe(Effect.scoped, Effect.exit)
      const defect = Exit.isFailure(exit) ? String(Cause.squash(exit.cause)) : "the runner started"
      assert.include(defect, `Jobs "purge-users" and "purge_users" would share the variable SCHEDULER_PURGE_USERS`)
    }))
})
