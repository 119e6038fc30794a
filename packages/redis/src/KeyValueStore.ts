/**
 * A small key-value store with expiry, shared by every caller of the program: in Redis (every
 * replica sees it) or in this process's memory (the embedded mode, one process). Both are atomic
 * per operation and forget a value once its time to live has passed; a value taken with `take` is
 * gone for every other caller. Keys are the caller's (under the deployment's Redis key prefix).
 */
import { Clock, Context, Data, Duration, Effect, Layer, Schedule } from "effect"
import type { Redis as IoRedis } from "ioredis"
import { Redis } from "./Redis.ts"

/** The store did not answer (Redis unreachable or refusing): not the same as a missing key. */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{ readonly cause: unknown }> {}

export class KeyValueStore extends Context.Service<KeyValueStore, {
  /** Stores `value` under `key` for `ttl`, replacing what was there. */
  set(key: string, value: string, ttl: Duration.Duration): Effect.Effect<void, StoreUnavailable>
  /** The value, or `null` when there is none (never set, expired, taken or deleted). */
  get(key: string): Effect.Effect<string | null, StoreUnavailable>
  /** Gets and deletes in one step: of concurrent takes, exactly one gets the value. */
  take(key: string): Effect.Effect<string | null, StoreUnavailable>
  delete(key: string): Effect.Effect<void, StoreUnavailable>
  /** Whether the store answers now (for health checks); the in-process one always does. */
  readonly ping: Effect.Effect<boolean>
}>()("@cuebx/redis/KeyValueStore") {
  static readonly layerRedis = Layer.effect(
    KeyValueStore,
    Effect.gen(function*() {
      const redis = yield* Redis
      const run = <A>(command: (client: IoRedis) => Promise<A>) =>
        redis.use(command).pipe(Effect.mapError((error) => new StoreUnavailable({ cause: error.cause })))
      return KeyValueStore.of({
        set: (key, value, ttl) =>
          run((client) => client.set(key, value, "PX", Math.max(1, Math.ceil(Duration.toMillis(ttl))))).pipe(
            Effect.asVoid
          ),
        get: (key) => run((client) => client.get(key)),
        take: (key) => run((client) => client.getdel(key)),
        delete: (key) => run((client) => client.del(key)).pipe(Effect.asVoid),
        ping: redis.ping
      })
    })
  )

  /**
   * One map for the layer's lifetime, on the `Clock`. Expired entries are invisible at once and
   * swept every minute, so keys that are set and never read again do not accumulate.
   */
  static readonly layerMemory = Layer.effect(
    KeyValueStore,
    Effect.gen(function*() {
      const entries = new Map<string, { readonly value: string; readonly expiresAt: number }>()
      const live = (key: string, now: number) => {
        const entry = entries.get(key)
        if (entry === undefined) return null
        if (entry.expiresAt > now) return entry.value
        entries.delete(key)
        return null
      }
      const sweep = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
      })
      yield* sweep.pipe(Effect.repeat(Schedule.spaced("1 minute")), Effect.forkScoped)
      return KeyValueStore.of({
        set: (key, value, ttl) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            entries.set(key, { value, expiresAt: now + Math.max(1, Duration.toMillis(ttl)) })
          }),
        get: (key) => Effect.map(Clock.currentTimeMillis, (now) => live(key, now)),
        take: (key) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const value = live(key, now)
            entries.delete(key)
            return value
          }),
        delete: (key) => Effect.sync(() => void entries.delete(key)),
        ping: Effect.succeed(true)
      })
    })
  )
}
