/**
 * Counts refused validations per UTC day, product and reason (the operators' dashboard shows
 * them) without a write per refusal: counts are kept in memory and added to `usage_denials` in
 * one statement every `USAGE_DENIALS_FLUSH_INTERVAL` and when the program stops, so a flood of
 * refused requests costs the database nothing more. A crash loses at most one interval of counts.
 */
import { Config, Context, DateTime, Duration, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import type { Product } from "./UsageLogsRepo.ts"

export const UsageDenialsSettings = Config.all({
  flushInterval: Config.Duration("USAGE_DENIALS_FLUSH_INTERVAL").pipe(Config.withDefault(Duration.seconds(10)))
})

/** The reason a refusal is counted under: its error's tag in snake case (`RateLimited` → `rate_limited`). */
export const denialReasonOf = (tag: string) => tag.replace(/(?<=[a-z0-9])([A-Z])/g, "_$1").toLowerCase()

const Counted = Schema.Struct({ day: Schema.String, product: Schema.String, reason: Schema.String, count: Schema.Int })

const separator = "\u0000"

export class UsageDenials extends Context.Service<UsageDenials, {
  /** Notes a refused validation now; costs no I/O. */
  count(product: Product, reason: string): Effect.Effect<void>
  /** Adds what was noted since the last flush to the table; returns how many counts it wrote. */
  readonly flush: Effect.Effect<number>
}>()("@cuebx/usage/UsageDenials") {
  static readonly layer = Layer.effect(
    UsageDenials,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { flushInterval } = yield* UsageDenialsSettings
      let pending = new Map<string, number>()

      const add = SqlSchema.void({
        Request: Schema.Array(Counted),
        execute: (rows) =>
          sql`
            INSERT INTO usage_denials (day, product, reason, count)
            SELECT day, product, reason, count
            FROM jsonb_to_recordset(${
            JSON.stringify(rows)
          }::jsonb) AS x(day date, product text, reason text, count bigint)
            ON CONFLICT (day, product, reason) DO UPDATE SET count = usage_denials.count + EXCLUDED.count`
      })

      const flush = Effect.gen(function*() {
        if (pending.size === 0) return 0
        const batch = pending
        pending = new Map()
        const rows = [...batch].map(([key, count]) => {
          const [day, product, reason] = key.split(separator) as [string, string, string]
          return { day, product, reason, count }
        })
        yield* add(rows).pipe(
          Effect.tapError(() =>
            Effect.sync(() => {
              // Put the batch back so the next flush writes it.
              for (const [key, count] of batch) pending.set(key, (pending.get(key) ?? 0) + count)
            })
          )
        )
        return rows.length
      }).pipe(Effect.withSpan("UsageDenials.flush"))

      yield* Effect.sleep(flushInterval).pipe(
        Effect.andThen(flush),
        Effect.catchCause((cause) => Effect.logWarning("Could not record usage denials; will retry", cause)),
        Effect.forever,
        Effect.forkScoped
      )
      yield* Effect.addFinalizer(() =>
        flush.pipe(Effect.catchCause((cause) => Effect.logWarning("Could not record usage denials at shutdown", cause)))
      )

      return UsageDenials.of({
        count: (product, reason) =>
          Effect.map(DateTime.now, (now) => {
            const key = [DateTime.formatIsoDateUtc(now), product, reason].join(separator)
            pending.set(key, (pending.get(key) ?? 0) + 1)
          }),
        flush: flush.pipe(Effect.orDie)
      })
    })
  )
}
