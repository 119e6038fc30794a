/**
 * Scheduler settings. `ENABLE_SCHEDULER` (default false) lets the API process run the jobs too;
 * the scheduler program always runs them. Each job's schedule can be overridden per deployment
 * with `SCHEDULER_<JOB_NAME>`: the job name upper-cased with `-` turned into `_` (job
 * `expire-pending-usage` reads `SCHEDULER_EXPIRE_PENDING_USAGE`). The value is a cron expression
 * in UTC ("0 3 * * *", or 6 fields with seconds), an interval ("5 minutes"), or `off`.
 */
import { Config, Duration, Effect, Option, Result, Schema, SchemaGetter, SchemaIssue } from "effect"
import type { Job } from "./Job.ts"
import { type JobSchedule, parseJobSchedule } from "./JobSchedule.ts"

export const EnableScheduler = Config.Boolean("ENABLE_SCHEDULER").pipe(Config.withDefault(false))

/** The variable overriding a job's schedule. */
export const scheduleVariable = (jobName: string) => `SCHEDULER_${jobName.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`

const disabled = /^(off|disabled|none)$/i

/** `None` means the job is switched off in this deployment. */
const ScheduleSetting = Schema.String.pipe(
  Schema.decodeTo(
    Schema.declare((u): u is Option.Option<JobSchedule> => Option.isOption(u)),
    {
      decode: SchemaGetter.transformEffect((text: string, options) => {
        if (disabled.test(text.trim())) return Effect.succeed(Option.none())
        const parsed = parseJobSchedule(text)
        return Result.isSuccess(parsed)
          ? Effect.succeed(Option.some(parsed.success))
          : Effect.fail(new SchemaIssue.InvalidValue({ message: parsed.failure }, text, options))
      }),
      encode: SchemaGetter.transform((setting: Option.Option<JobSchedule>) =>
        Option.match(setting, {
          onNone: () => "off",
          onSome: (schedule) =>
            schedule._tag === "Cron" ? schedule.expression : `${Duration.toMillis(schedule.interval)} millis`
        })
      )
    }
  )
)

/** The schedule a job runs on here: its variable when set, else its default; `None` when off. */
export const jobScheduleConfig = (job: Job<unknown>): Config.Config<Option.Option<JobSchedule>> =>
  Config.schema(ScheduleSetting, scheduleVariable(job.name)).pipe(
    Config.withDefault<Option.Option<JobSchedule>>(Option.some(job.schedule))
  )
