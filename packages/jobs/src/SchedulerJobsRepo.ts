/**
 * The scheduler's SQL: the `scheduler_jobs` rows (tick claims and the record of each job's last
 * run) and the per-job advisory lock that keeps runs of one job from overlapping on any
 * replica. Database failures are defects here; the runner logs them and tries the next tick.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { createHash } from "node:crypto"

/** One row of `scheduler_jobs`. */
export interface JobState {
  readonly jobName: string
  /** The schedule in effect when a runner last started (`cron "..." (UTC)` or `every 5m`). */
  readonly schedule: string | null
  /** The last tick a replica claimed (it ran it, or skipped it because the lock was held). */
  readonly lastTickAt: Date | null
  readonly lastStartedAt: Date | null
  /** Older than `lastStartedAt` while a run is in progress (or if its process died mid-run). */
  readonly lastFinishedAt: Date | null
  readonly lastOutcome: "success" | "failure" | null
  /** The last run's error, truncated; null after a success. */
  readonly lastError: string | null
  /** The runner instance that started the last run. */
  readonly lastRunBy: string | null
  /** Runs started. */
  readonly runCount: number
  readonly failureCount: number
  /** Claimed ticks not run because an earlier run still held the job's lock. */
  readonly skippedCount: number
  readonly createdAt: Date
  readonly updatedAt: Date
}

export type RunOutcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly error: string }

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
  claim(job: string, tick: Date): Effect.Effect<boolean>
  /**
   * Runs `effect` while holding the job's advisory lock; `None`, without running it, when
   * another run holds the lock.
   */
  withLock<A, E, R>(job: string, effect: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R>
  recordStart(job: string, instance: string, at: Date): Effect.Effect<void>
  recordFinish(job: string, at: Date, outcome: RunOutcome): Effect.Effect<void>
  recordSkip(job: string): Effect.Effect<void>
  /** Every job's row, by name. */
  readonly list: Effect.Effect<ReadonlyArray<JobState>>
  find(job: string): Effect.Effect<Option.Option<JobState>>
}>()("@cuebx/jobs/SchedulerJobsRepo") {
  /** The repository over the current `SqlClient`, for callers that build it without a layer. */
  static readonly make = Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const register = Effect.fn("SchedulerJobsRepo.register")(function*(job: string, schedule: string) {
      yield* sql`
        INSERT INTO scheduler_jobs (job_name, schedule) VALUES (${job}, ${schedule})
        ON CONFLICT (job_name) DO UPDATE SET schedule = EXCLUDED.schedule
        WHERE scheduler_jobs.schedule IS DISTINCT FROM EXCLUDED.schedule`
    }, Effect.orDie)

    const claim = Effect.fn("SchedulerJobsRepo.claim")(function*(job: string, tick: Date) {
      yield* sql`INSERT INTO scheduler_jobs (job_name) VALUES (${job}) ON CONFLICT (job_name) DO NOTHING`
      const claimed = yield* sql`
        UPDATE scheduler_jobs SET last_tick_at = ${tick}
        WHERE job_name = ${job} AND (last_tick_at IS NULL OR last_tick_at < ${tick})
        RETURNING job_name`
      return claimed.length === 1
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
            Effect.map((rows) => rows[0]?.locked === true),
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
      function*(job: string, instance: string, at: Date) {
        yield* sql`
          UPDATE scheduler_jobs
          SET last_started_at = ${at}, last_run_by = ${instance}, run_count = run_count + 1
          WHERE job_name = ${job}`
      },
      Effect.orDie
    )

    const recordFinish = Effect.fn("SchedulerJobsRepo.recordFinish")(
      function*(job: string, at: Date, outcome: RunOutcome) {
        const failed = outcome._tag === "Failure"
        yield* sql`
          UPDATE scheduler_jobs
          SET last_finished_at = ${at},
              last_outcome = ${failed ? "failure" : "success"},
              last_error = ${failed ? outcome.error : null},
              failure_count = failure_count + ${failed ? 1 : 0}
          WHERE job_name = ${job}`
      },
      Effect.orDie
    )

    const recordSkip = Effect.fn("SchedulerJobsRepo.recordSkip")(function*(job: string) {
      yield* sql`UPDATE scheduler_jobs SET skipped_count = skipped_count + 1 WHERE job_name = ${job}`
    }, Effect.orDie)

    const columns = sql.literal(
      "job_name, schedule, last_tick_at, last_started_at, last_finished_at, last_outcome, last_error, " +
        "last_run_by, run_count, failure_count, skipped_count, created_at, updated_at"
    )

    const list = sql<JobState>`SELECT ${columns} FROM scheduler_jobs ORDER BY job_name`.pipe(
      Effect.withSpan("SchedulerJobsRepo.list"),
      Effect.orDie
    )

    const find = Effect.fn("SchedulerJobsRepo.find")(function*(job: string) {
      const rows = yield* sql<JobState>`SELECT ${columns} FROM scheduler_jobs WHERE job_name = ${job}`
      return Option.fromUndefinedOr(rows[0])
    }, Effect.orDie)

    return SchedulerJobsRepo.of({ register, claim, withLock, recordStart, recordFinish, recordSkip, list, find })
  })

  static readonly layer = Layer.effect(SchedulerJobsRepo, SchedulerJobsRepo.make)
}
