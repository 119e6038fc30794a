/**
 * The scheduler's SQL: the `scheduler_jobs` rows (tick claims and the record of each job's last
 * run) and the per-job advisory lock that keeps runs of one job from overlapping on any
 * replica. Database failures are defects here; the runner logs them and tries the next tick.
 */
import { TimestampColumn } from "@cuebx/db"
import { Context, DateTime, Effect, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { createHash } from "node:crypto"

export const JobOutcome = Schema.Literals(["success", "failure"])

/** One row of `scheduler_jobs`. */
export const JobState = Schema.Struct({
  jobName: Schema.String,
  /** The schedule in effect when a runner last started (`cron "..." (UTC)` or `every 5m`). */
  schedule: Schema.NullOr(Schema.String),
  /** The last tick a replica claimed (it ran it, or skipped it because the lock was held). */
  lastTickAt: Schema.NullOr(TimestampColumn),
  lastStartedAt: Schema.NullOr(TimestampColumn),
  /** Older than `lastStartedAt` while a run is in progress (or if its process died mid-run). */
  lastFinishedAt: Schema.NullOr(TimestampColumn),
  lastOutcome: Schema.NullOr(JobOutcome),
  /** The last run's error, truncated; null after a success. */
  lastError: Schema.NullOr(Schema.String),
  /** The runner instance that started the last run. */
  lastRunBy: Schema.NullOr(Schema.String),
  /** Runs started. */
  runCount: Schema.Int,
  failureCount: Schema.Int,
  /** Claimed ticks not run because an earlier run still held the job's lock. */
  skippedCount: Schema.Int,
  createdAt: TimestampColumn,
  updatedAt: TimestampColumn
})
export type JobState = typeof JobState.Type

export type RunOutcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly error: string }

const LockReply = Schema.Tuple([Schema.Struct({ locked: Schema.Boolean })])

/**
 * The advisory lock key of a job: 64 bits of a SHA-256 of a namespaced name, so it cannot
 * collide with other features' advisory locks in practice.
 */
export const jobLockKey = (job: string): string =>
  createHash("sha256").update(`@cuebx/jobs/${job}`).digest().readBigInt64BE(0).toString()

export class SchedulerJobsRepo extends Context.Service<SchedulerJobsRepo, {
  /** Creates the job's row when missing and records the schedule in effect. */
  register(job: string, schedule: string): Effect.Effect<void>
  /**
   * Claims a tick: true for exactly one caller per tick, the one whose conditional UPDATE moved
   * `last_tick_at` forward to it (concurrent UPDATEs of the row serialise on its row lock).
   */
  claim(job: string, tick: DateTime.Utc): Effect.Effect<boolean>
  /**
   * Runs `effect` while holding the job's advisory lock; `None`, without running it, when
   * another run holds the lock.
   */
  withLock<A, E, R>(job: string, effect: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R>
  recordStart(job: string, instance: string, at: DateTime.Utc): Effect.Effect<void>
  recordFinish(job: string, at: DateTime.Utc, outcome: RunOutcome): Effect.Effect<void>
  recordSkip(job: string): Effect.Effect<void>
  /** Every job's row, by name. */
  readonly list: Effect.Effect<ReadonlyArray<JobState>>
  find(job: string): Effect.Effect<Option.Option<JobState>>
}>()("@cuebx/jobs/SchedulerJobsRepo") {
  /**
   * The repository over the current `SqlClient`. Built by each runner rather than provided as a
   * layer: a memoised layer would be shared by two runners built together (two replicas in a
   * test) and use the first one's database pool.
   */
  static readonly make = Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const columns = sql.literal(
      "job_name, schedule, last_tick_at, last_started_at, last_finished_at, last_outcome, last_error, " +
        "last_run_by, run_count, failure_count, skipped_count, created_at, updated_at"
    )

    const upsertSchedule = SqlSchema.void({
      Request: Schema.Struct({ job: Schema.String, schedule: Schema.String }),
      execute: ({ job, schedule }) =>
        sql`
          INSERT INTO scheduler_jobs (job_name, schedule) VALUES (${job}, ${schedule})
          ON CONFLICT (job_name) DO UPDATE SET schedule = EXCLUDED.schedule
          WHERE scheduler_jobs.schedule IS DISTINCT FROM EXCLUDED.schedule`
    })

    const ensureRow = SqlSchema.void({
      Request: Schema.String,
      execute: (job) => sql`INSERT INTO scheduler_jobs (job_name) VALUES (${job}) ON CONFLICT (job_name) DO NOTHING`
    })

    const moveTickForward = SqlSchema.findOneOption({
      Request: Schema.Struct({ job: Schema.String, tick: TimestampColumn }),
      Result: Schema.Struct({ jobName: Schema.String }),
      execute: ({ job, tick }) =>
        sql`
          UPDATE scheduler_jobs SET last_tick_at = ${tick}
          WHERE job_name = ${job} AND (last_tick_at IS NULL OR last_tick_at < ${tick})
          RETURNING job_name`
    })

    const setStarted = SqlSchema.void({
      Request: Schema.Struct({ job: Schema.String, instance: Schema.String, at: TimestampColumn }),
      execute: ({ job, instance, at }) =>
        sql`
          UPDATE scheduler_jobs
          SET last_started_at = ${at}, last_run_by = ${instance}, run_count = run_count + 1
          WHERE job_name = ${job}`
    })

    const setFinished = SqlSchema.void({
      Request: Schema.Struct({
        job: Schema.String,
        at: TimestampColumn,
        outcome: JobOutcome,
        error: Schema.NullOr(Schema.String)
      }),
      execute: ({ job, at, outcome, error }) =>
        sql`
          UPDATE scheduler_jobs
          SET last_finished_at = ${at},
              last_outcome = ${outcome},
              last_error = ${error},
              failure_count = failure_count + ${outcome === "failure" ? 1 : 0}
          WHERE job_name = ${job}`
    })

    const countSkip = SqlSchema.void({
      Request: Schema.String,
      execute: (job) => sql`UPDATE scheduler_jobs SET skipped_count = skipped_count + 1 WHERE job_name = ${job}`
    })

    const all = SqlSchema.findAll({
      Request: Schema.Void,
      Result: JobState,
      execute: () => sql`SELECT ${columns} FROM scheduler_jobs ORDER BY job_name`
    })

    const byName = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: JobState,
      execute: (job) => sql`SELECT ${columns} FROM scheduler_jobs WHERE job_name = ${job}`
    })

    const register = Effect.fn("SchedulerJobsRepo.register")(function*(job: string, schedule: string) {
      yield* upsertSchedule({ job, schedule })
    }, Effect.orDie)

    const claim = Effect.fn("SchedulerJobsRepo.claim")(function*(job: string, tick: DateTime.Utc) {
      yield* ensureRow(job)
      return Option.isSome(yield* moveTickForward({ job, tick }))
    }, Effect.orDie)

    // A session-level lock on a connection reserved for the run: the job's own statements use
    // other pooled connections and their own transactions (a transaction-scoped lock would
    // force the whole run into one long transaction). The lock is taken and released in
    // acquireRelease, so an interrupted or failed run still unlocks before the connection
    // goes back to the pool; if the connection itself dies, PostgreSQL drops the lock with it.
    // Untraced: the run's own span is enough.
    const withLock = Effect.fnUntraced(
      function*<A, E, R>(job: string, effect: Effect.Effect<A, E, R>) {
        const connection = yield* Effect.orDie(sql.reserve)
        const key = jobLockKey(job)
        const locked = yield* Effect.acquireRelease(
          connection.execute("SELECT pg_try_advisory_lock($1::bigint) AS locked", [key], undefined).pipe(
            Effect.flatMap(Schema.decodeUnknownEffect(LockReply)),
            Effect.map(([row]) => row.locked),
            Effect.orDie
          ),
          (acquired) =>
            acquired
              ? connection.execute("SELECT pg_advisory_unlock($1::bigint)", [key], undefined).pipe(
                Effect.catchCause((cause) => Effect.logWarning(`Could not release the lock of job ${job}`, cause))
              )
              : Effect.void
        )
        return locked ? Option.some(yield* effect) : Option.none<A>()
      },
      Effect.scoped
    )

    const recordStart = Effect.fn("SchedulerJobsRepo.recordStart")(
      function*(job: string, instance: string, at: DateTime.Utc) {
        yield* setStarted({ job, instance, at })
      },
      Effect.orDie
    )

    const recordFinish = Effect.fn("SchedulerJobsRepo.recordFinish")(
      function*(job: string, at: DateTime.Utc, outcome: RunOutcome) {
        yield* setFinished(
          outcome._tag === "Failure"
            ? { job, at, outcome: "failure", error: outcome.error }
            : { job, at, outcome: "success", error: null }
        )
      },
      Effect.orDie
    )

    const recordSkip = Effect.fn("SchedulerJobsRepo.recordSkip")(function*(job: string) {
      yield* countSkip(job)
    }, Effect.orDie)

    const list = all(undefined).pipe(Effect.withSpan("SchedulerJobsRepo.list"), Effect.orDie)

    const find = Effect.fn("SchedulerJobsRepo.find")(function*(job: string) {
      return yield* byName(job)
    }, Effect.orDie)

    return SchedulerJobsRepo.of({ register, claim, withLock, recordStart, recordFinish, recordSkip, list, find })
  })
}
