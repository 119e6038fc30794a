/**
 * Records when each API key was last used without a write per request: uses are kept in memory
 * (the latest time per key) and written in one statement every `API_KEY_LAST_USED_FLUSH_INTERVAL`
 * and when the program stops. A crash loses at most one interval of `last_used_at` updates.
 */
import { Clock, Config, Context, DateTime, Duration, Effect, Layer } from "effect"
import { ApiKeysRepo } from "./ApiKeysRepo.ts"

export const ApiKeyUsageSettings = Config.all({
  flushInterval: Config.Duration("API_KEY_LAST_USED_FLUSH_INTERVAL").pipe(
    Config.withDefault(Duration.seconds(5))
  )
})

export class ApiKeyUsage extends Context.Service<ApiKeyUsage, {
  /** Notes a use of the key now; costs no I/O. */
  record(keyId: string): Effect.Effect<void>
  /** Writes what was noted since the last flush; returns how many keys it updated. */
  readonly flush: Effect.Effect<number>
}>()("@cuebx/workspaces/ApiKeyUsage") {
  static readonly layer = Layer.effect(
    ApiKeyUsage,
    Effect.gen(function*() {
      const repo = yield* ApiKeysRepo
      const { flushInterval } = yield* ApiKeyUsageSettings
      let pending = new Map<string, number>()

      const flush = Effect.gen(function*() {
        if (pending.size === 0) return 0
        const batch = pending
        pending = new Map()
        yield* repo.recordUses(new Map([...batch].map(([id, usedAt]) => [id, DateTime.makeUnsafe(usedAt)]))).pipe(
          Effect.tapError(() =>
            Effect.sync(() => {
              // Put the batch back (keeping any newer use) so the next flush retries it.
              for (const [id, usedAt] of batch) pending.set(id, Math.max(usedAt, pending.get(id) ?? 0))
            })
          )
        )
        return batch.size
      }).pipe(Effect.withSpan("ApiKeyUsage.flush"))

      yield* Effect.sleep(flushInterval).pipe(
        Effect.andThen(flush),
        Effect.catchCause((cause) => Effect.logWarning("Could not record API key use; will retry", cause)),
        Effect.forever,
        Effect.forkScoped
      )
      yield* Effect.addFinalizer(() =>
        flush.pipe(Effect.catchCause((cause) => Effect.logWarning("Could not record API key use at shutdown", cause)))
      )

      return ApiKeyUsage.of({
        record: (keyId) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            pending.set(keyId, Math.max(now, pending.get(keyId) ?? 0))
          }),
        flush: flush.pipe(Effect.orDie)
      })
    })
  )
}
