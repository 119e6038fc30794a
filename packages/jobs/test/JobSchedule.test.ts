/**
 * The pure parts of the scheduler: parsing schedules, computing tick instants, the
 * `SCHEDULER_<JOB_NAME>` and `ENABLE_SCHEDULER` settings, and how a failure is recorded.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Duration, Effect, Option, Result, Schema } from "effect"
import { defineJob } from "../src/Job.ts"
import { describeFailure, maxErrorLength } from "../src/JobRunner.ts"
import { formatJobSchedule, type JobSchedule, nextTick, parseJobSchedule } from "../src/JobSchedule.ts"
import { EnableScheduler, jobScheduleConfig, scheduleVariable } from "../src/SchedulerConfig.ts"

const at = (iso: string) => new Date(iso).getTime()
const iso = (millis: number) => new Date(millis).toISOString()

const schedule = (input: string | Duration.Duration): JobSchedule => {
  const parsed = parseJobSchedule(input)
  assert.isTrue(Result.isSuccess(parsed), `${String(input)} should parse`)
  return Result.getOrThrow(parsed)
}

const parseError = (input: string | Duration.Duration): string => {
  const parsed = parseJobSchedule(input)
  assert.isTrue(Result.isFailure(parsed), `${String(input)} should not parse`)
  return Result.isFailure(parsed) ? parsed.failure : ""
}

/** The first `count` ticks after `from`. */
const ticks = (s: JobSchedule, from: string, count: number) => {
  const result: Array<string> = []
  let cursor = at(from)
  for (let i = 0; i < count; i++) {
    cursor = nextTick(s, cursor)
    result.push(iso(cursor))
  }
  return result
}

describe("cron schedules", () => {
  it("reads 5 fields as minute precision in UTC", () => {
    const daily = schedule("0 3 * * *")
    assert.strictEqual(daily._tag, "Cron")
    assert.deepStrictEqual(ticks(daily, "2024-01-01T02:59:59.999Z", 2), [
      "2024-01-01T03:00:00.000Z",
      "2024-01-02T03:00:00.000Z"
    ])
  })

  it("reads 6 fields with seconds", () => {
    assert.deepStrictEqual(ticks(schedule("*/20 * * * * *"), "2024-05-05T10:00:05.250Z", 3), [
      "2024-05-05T10:00:20.000Z",
      "2024-05-05T10:00:40.000Z",
      "2024-05-05T10:01:00.000Z"
    ])
    assert.deepStrictEqual(ticks(schedule("* * * * * *"), "2024-05-05T10:00:05.999Z", 2), [
      "2024-05-05T10:00:06.000Z",
      "2024-05-05T10:00:07.000Z"
    ])
  })

  it("gives the tick strictly after an instant that is itself a tick", () => {
    assert.deepStrictEqual(ticks(schedule("*/5 * * * *"), "2024-01-01T00:05:00.000Z", 1), ["2024-01-01T00:10:00.000Z"])
  })

  it("handles ranges, lists, weekdays and month ends", () => {
    // Weekdays at 09:30: Friday 2024-03-01, then Monday 2024-03-04.
    assert.deepStrictEqual(ticks(schedule("30 9 * * 1-5"), "2024-03-01T09:00:00Z", 2), [
      "2024-03-01T09:30:00.000Z",
      "2024-03-04T09:30:00.000Z"
    ])
    assert.deepStrictEqual(ticks(schedule("0 0 29 2 *"), "2024-03-01T00:00:00Z", 1), ["2028-02-29T00:00:00.000Z"])
  })

  it("tolerates extra whitespace", () => {
    const s = schedule("  0   3 * *  * ")
    assert.strictEqual(formatJobSchedule(s), `cron "0 3 * * *" (UTC)`)
  })

  it("rejects malformed and never-matching expressions", () => {
    assert.include(parseError("61 * * * *"), "invalid cron expression")
    assert.include(parseError("* * * * * * *"), "neither a cron expression")
    assert.include(parseError("0 0 31 2 *"), "never matches")
  })
})

describe("interval schedules", () => {
  it("ticks at multiples of the interval since the epoch", () => {
    const every5 = schedule("5 minutes")
    assert.strictEqual(every5._tag, "Interval")
    assert.deepStrictEqual(ticks(every5, "2024-01-01T00:03:12.345Z", 3), [
      "2024-01-01T00:05:00.000Z",
      "2024-01-01T00:10:00.000Z",
      "2024-01-01T00:15:00.000Z"
    ])
    assert.deepStrictEqual(ticks(every5, "2024-01-01T00:05:00.000Z", 1), ["2024-01-01T00:10:00.000Z"])
  })

  it("gives every replica the same tick, whenever in the period it asks", () => {
    const every7 = schedule("7 seconds")
    const early = nextTick(every7, at("2024-01-01T00:00:00.001Z"))
    const late = nextTick(every7, early - 1)
    assert.strictEqual(early, late)
    assert.strictEqual(early % 7000, 0)
  })

  it("accepts a Duration and formats it", () => {
    const s = schedule(Duration.hours(1))
    assert.strictEqual(formatJobSchedule(s), "every 1h")
    assert.deepStrictEqual(ticks(s, "2024-01-01T10:59:59Z", 1), ["2024-01-01T11:00:00.000Z"])
  })

  it("rejects intervals shorter than a second and text that is not a schedule", () => {
    assert.include(parseError("500 millis"), "at least 1s")
    assert.include(parseError("0 seconds"), "at least 1s")
    assert.include(parseError(Duration.infinity), "at least 1s")
    assert.include(parseError("every day"), "neither a cron expression")
    assert.include(parseError(""), "neither a cron expression")
  })
})

describe("job definitions", () => {
  it("parse their default schedule", () => {
    const job = defineJob({ name: "purge-users", schedule: "0 3 * * *", run: Effect.void })
    assert.strictEqual(formatJobSchedule(job.schedule), `cron "0 3 * * *" (UTC)`)
  })

  it("refuse invalid names and schedules when defined", () => {
    assert.throws(() => defineJob({ name: "Purge Users", schedule: "1 hour", run: Effect.void }), /must match/)
    assert.throws(() => defineJob({ name: "purge", schedule: "soon", run: Effect.void }), /Job "purge"/)
  })
})

describe("scheduler settings", () => {
  const job = defineJob({ name: "expire-pending_usage", schedule: "5 minutes", run: Effect.void })
  const read = (env: Record<string, string>) => jobScheduleConfig(job).parse(ConfigProvider.fromUnknown(env))

  it("name each job's variable after the job", () => {
    assert.strictEqual(scheduleVariable(job.name), "SCHEDULER_EXPIRE_PENDING_USAGE")
  })

  it.effect("use the job's default schedule when its variable is unset", () =>
    Effect.gen(function*() {
      const setting = yield* read({})
      assert.deepStrictEqual(setting.pipe(Option.map(formatJobSchedule)), Option.some("every 5m"))
    }))

  it.effect("take a cron expression, an interval or off from the variable", () =>
    Effect.gen(function*() {
      const cron = yield* read({ SCHEDULER_EXPIRE_PENDING_USAGE: "*/10 * * * *" })
      assert.deepStrictEqual(cron.pipe(Option.map(formatJobSchedule)), Option.some(`cron "*/10 * * * *" (UTC)`))
      const interval = yield* read({ SCHEDULER_EXPIRE_PENDING_USAGE: "30 seconds" })
      assert.deepStrictEqual(interval.pipe(Option.map(formatJobSchedule)), Option.some("every 30s"))
      assert.isTrue(Option.isNone(yield* read({ SCHEDULER_EXPIRE_PENDING_USAGE: "off" })))
    }))

  it.effect("refuse an invalid schedule, naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({ SCHEDULER_EXPIRE_PENDING_USAGE: "every now and then" }))
      assert.include(error.message, "SCHEDULER_EXPIRE_PENDING_USAGE")
      assert.include(error.message, "neither a cron expression")
    }))

  it.effect("leave the scheduler off in the API unless ENABLE_SCHEDULER is true", () =>
    Effect.gen(function*() {
      assert.isFalse(yield* EnableScheduler.parse(ConfigProvider.fromUnknown({})))
      assert.isTrue(yield* EnableScheduler.parse(ConfigProvider.fromUnknown({ ENABLE_SCHEDULER: "true" })))
    }))
})

class QuotaSyncFailed extends Schema.TaggedError<QuotaSyncFailed>()("QuotaSyncFailed", {
  message: Schema.String
}) {}

describe("recorded failures", () => {
  it("keep the error's name and message", () => {
    assert.strictEqual(describeFailure(Cause.fail(new Error("connection refused"))), "Error: connection refused")
    assert.strictEqual(
      describeFailure(Cause.fail(new QuotaSyncFailed({ message: "plan missing" }))),
      "QuotaSyncFailed: plan missing"
    )
    assert.strictEqual(describeFailure(Cause.die("boom")), "boom")
    assert.strictEqual(describeFailure(Cause.fail({ code: 42 })), `{"code":42}`)
  })

  it("call an interruption an interruption", () => {
    assert.strictEqual(describeFailure(Cause.interrupt()), "Interrupted")
  })

  it("are truncated", () => {
    const text = describeFailure(Cause.fail(new Error("x".repeat(10_000))))
    assert.strictEqual(text.length, maxErrorLength)
    assert.isTrue(text.endsWith("…"))
  })
})
