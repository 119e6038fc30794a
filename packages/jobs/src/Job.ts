/**
 * A job definition: a unique name, a default schedule (each deployment can override it, see
 * `SchedulerConfig.ts`) and the effect one run performs. Domain packages export their jobs; a
 * program's registry is the list of jobs it hands to `JobRunner.layer`.
 */
import { Context, type DateTime, type Effect, Result } from "effect"
import { type JobSchedule, type JobScheduleInput, parseJobSchedule } from "./JobSchedule.ts"

export interface Job<R = never> {
  /** Lower case letters, digits, `-` and `_`: it keys the job's row, lock and config variable. */
  readonly name: string
  /** The schedule when the job's `SCHEDULER_<NAME>` variable is not set. */
  readonly schedule: JobSchedule
  /** One run. A failure is recorded and logged, and the next tick runs the job again. */
  readonly run: Effect.Effect<void, unknown, R>
}

/** The run in progress, for jobs that need their tick (say, as a deterministic cut-off time). */
export class JobRun extends Context.Service<JobRun, {
  readonly job: string
  /** The scheduled instant this run belongs to (not when it started). */
  readonly tick: DateTime.Utc
  /** Which runner instance runs it (host:pid unless the runner was given a name). */
  readonly instance: string
}>()("@cuebx/jobs/JobRun") {}

const jobName = /^[a-z][a-z0-9_-]{0,99}$/

/**
 * Defines a job. An invalid name or default schedule is a programming error and throws when
 * the defining module loads, so it shows in every test that imports the job.
 */
export const defineJob = <R = never>(options: {
  readonly name: string
  readonly schedule: JobScheduleInput
  readonly run: Effect.Effect<void, unknown, R>
}): Job<R> => {
  if (!jobName.test(options.name)) {
    throw new Error(`Job name "${options.name}" must match ${jobName}`)
  }
  const schedule = parseJobSchedule(options.schedule)
  if (Result.isFailure(schedule)) throw new Error(`Job "${options.name}": ${schedule.failure}`)
  return { name: options.name, schedule: schedule.success, run: options.run }
}
