/**
 * When a job runs, as pure functions: a cron expression (5 fields, or 6 with seconds, always
 * UTC) or a fixed interval whose ticks are the multiples of the interval since the Unix epoch.
 * Every replica therefore computes the same tick instants, which is what lets them agree on
 * which tick a run belongs to.
 */
import { Cron, Duration, Option, Result, Schema } from "effect"

export type JobSchedule =
  | { readonly _tag: "Cron"; readonly expression: string; readonly cron: Cron.Cron }
  | { readonly _tag: "Interval"; readonly interval: Duration.Duration }

/** A cron expression or an interval text ("5 minutes"), or an interval as a `Duration`. */
export type JobScheduleInput = string | Duration.Duration

/** Shorter intervals would mostly measure the database round trips of claiming a tick. */
export const minimumInterval = Duration.seconds(1)

const decodeDuration = Schema.decodeUnknownOption(Schema.DurationFromString)

const intervalSchedule = (interval: Duration.Duration): Result.Result<JobSchedule, string> => {
  const millis = Duration.toMillis(interval)
  if (!Duration.isFinite(interval) || Duration.isLessThan(interval, minimumInterval)) {
    return Result.fail(`the interval must be at least ${Duration.format(minimumInterval)}`)
  }
  if (!Number.isInteger(millis)) return Result.fail("the interval must be a whole number of milliseconds")
  return Result.succeed({ _tag: "Interval", interval })
}

const cronSchedule = (expression: string): Result.Result<JobSchedule, string> => {
  const parsed = Cron.parse(expression, "UTC")
  if (Result.isFailure(parsed)) return Result.fail(`invalid cron expression "${expression}": ${parsed.failure.message}`)
  try {
    // Cron.parse accepts expressions that never match (30 February); they would only fail at the first tick.
    // Cron fields have no year, so whether one ever matches does not depend on where the search starts.
    Cron.next(parsed.success, new Date(0))
  } catch {
    return Result.fail(`the cron expression "${expression}" never matches`)
  }
  return Result.succeed({ _tag: "Cron", expression, cron: parsed.success })
}

/**
 * Reads a schedule: 5 or 6 whitespace-separated fields are a cron expression, anything else
 * must be an interval such as "30 seconds" or "5 minutes" (at least one second).
 */
export const parseJobSchedule = (input: JobScheduleInput): Result.Result<JobSchedule, string> => {
  if (Duration.isDuration(input)) return intervalSchedule(input)
  const text = input.trim().replace(/\s+/g, " ")
  const fields = text.split(" ").length
  if (fields === 5 || fields === 6) return cronSchedule(text)
  const interval = decodeDuration(text)
  return Option.isSome(interval)
    ? intervalSchedule(interval.value)
    : Result.fail(`"${input}" is neither a cron expression (5 or 6 fields) nor an interval such as "5 minutes"`)
}

/** For logs and the `scheduler_jobs.schedule` column: `cron "0 3 * * *" (UTC)` or `every 5m`. */
export const formatJobSchedule = (schedule: JobSchedule): string =>
  schedule._tag === "Cron"
    ? `cron "${schedule.expression}" (UTC)`
    : `every ${Duration.format(schedule.interval)}`

/** The first tick strictly after `after` (epoch milliseconds), in epoch milliseconds. */
export const nextTick = (schedule: JobSchedule, after: number): number => {
  if (schedule._tag === "Cron") return Cron.next(schedule.cron, new Date(after)).getTime()
  const period = Duration.toMillis(schedule.interval)
  return (Math.floor(after / period) + 1) * period
}
