/**
 * Sliding-window rate limiting shared by every replica (Redis) or by one process (memory). It owns
 * counting and deciding; choosing keys and limits, and turning a denial into an HTTP answer, is
 * the caller's (see `enforce` and `RateLimitKeys`). Use one rule per key.
 */
import { RateLimitBackend } from "@cuebx/config"
import { TooManyRequests } from "@cuebx/contract"
import { Redis, type RedisError } from "@cuebx/redis"
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { RateLimitFailOpen } from "./RateLimitConfig.ts"
import { redisScript } from "./RedisScript.ts"
import {
  decideAll,
  makeMemoryStore,
  peekDecision,
  type RateLimitDecision,
  type RateLimitRule,
  ruleMillis,
  slidingWindowAllScript
} from "./SlidingWindow.ts"

const script = redisScript(slidingWindowAllScript)

/** Redis keys live under this namespace (after the deployment's `REDIS_KEY_PREFIX`). */
export const redisKeyNamespace = "rate_limit:"

const invalidRule = (rule: RateLimitRule) =>
  Effect.die(new Error(`Invalid rate-limit rule: limit ${rule.limit}, window ${String(rule.window)}`))

const AllReply = Schema.Array(Schema.Int)

/** `slidingWindowAllScript`'s reply for `count` buckets; another shape is a bug, as above. */
const parseAllReply = (reply: unknown, count: number) =>
  Schema.decodeUnknownEffect(AllReply)(reply).pipe(
    Effect.flatMap((values) =>
      values.length === 1 + 4 * count
        ? Effect.succeed(Array.from({ length: count }, (_, index) => {
          const [admits, previous, current, elapsedMs] = values.slice(1 + 4 * index, 5 + 4 * index) as [
            number,
            number,
            number,
            number
          ]
          return { admits: admits === 1, before: { previous, current }, elapsedMs }
        }))
        : Effect.die(new Error(`Unexpected rate-limit script reply: ${JSON.stringify(reply)}`))
    ),
    Effect.catchTag("SchemaError", () =>
      Effect.die(new Error(`Unexpected rate-limit script reply: ${JSON.stringify(reply)}`)))
  )

/** A bucket and its rule, for `consumeAll`. */
export interface KeyedRule {
  readonly key: string
  readonly rule: RateLimitRule
}

interface Bucket {
  readonly key: string
  readonly limit: number
  readonly windowMs: number
}

const bucketsOf = (rules: ReadonlyArray<KeyedRule>, namespace: string) =>
  Effect.forEach(rules, ({ key, rule }): Effect.Effect<Bucket> => {
    const millis = ruleMillis(rule)
    return millis === undefined ? invalidRule(rule) : Effect.succeed({ key: namespace + key, ...millis })
  })

const StoredCounts = Schema.Tuple([
  Schema.NullOr(Schema.FiniteFromString),
  Schema.NullOr(Schema.FiniteFromString),
  Schema.NullOr(Schema.FiniteFromString)
])

/** The bucket's counts as `HMGET w c p` returns them; `undefined` when there is no bucket. */
const parseCounts = (reply: unknown) =>
  Schema.decodeUnknownEffect(StoredCounts)(reply).pipe(
    Effect.map(([window, current, previous]) =>
      window === null ? undefined : { window, current: current ?? 0, previous: previous ?? 0 }
    ),
    Effect.catchTag(
      "SchemaError",
      () => Effect.die(new Error(`Unexpected rate-limit bucket: ${JSON.stringify(reply)}`))
    )
  )

export class RateLimiter extends Context.Service<RateLimiter, {
  /** Counts the request against `key` if `rule` admits it; denied requests are not counted. */
  consume(key: string, rule: RateLimitRule): Effect.Effect<RateLimitDecision>
  /**
   * What `consume` would decide now, counting nothing: for limits on failures, where a request
   * is refused while its key is over the limit but counted only once it has failed.
   */
  peek(key: string, rule: RateLimitRule): Effect.Effect<RateLimitDecision>
  /**
   * A request that must pass several rules at once (say, per minute and per day): admitted only
   * if every one admits it, and then counted in all of them, atomically; one decision per rule.
   */
  consumeAll(rules: ReadonlyArray<KeyedRule>): Effect.Effect<ReadonlyArray<RateLimitDecision>>
}>()("@cuebx/ratelimit/RateLimiter") {
  /** One in-process store for the layer's lifetime, on the `Clock` (so `TestClock` drives it). */
  static readonly layerMemory = Layer.sync(RateLimiter, () => {
    const store = makeMemoryStore()
    const consume = Effect.fn("RateLimiter.consume")(function*(key: string, rule: RateLimitRule) {
      const millis = ruleMillis(rule)
      if (millis === undefined) return yield* invalidRule(rule)
      const now = Math.floor(yield* Clock.currentTimeMillis)
      return store.consume(key, millis.limit, millis.windowMs, now)
    })
    const peek = Effect.fn("RateLimiter.peek")(function*(key: string, rule: RateLimitRule) {
      const millis = ruleMillis(rule)
      if (millis === undefined) return yield* invalidRule(rule)
      const now = Math.floor(yield* Clock.currentTimeMillis)
      return store.peek(key, millis.limit, millis.windowMs, now)
    })
    const consumeAll = Effect.fnUntraced(function*(rules: ReadonlyArray<KeyedRule>) {
      const buckets = yield* bucketsOf(rules, "")
      const now = Math.floor(yield* Clock.currentTimeMillis)
      return store.consumeAll(buckets, now)
    })
    return RateLimiter.of({ consume, peek, consumeAll })
  })

  /**
   * One Lua script reads, decides, increments and sets the expiry atomically; the time comes from
   * the caller's `Clock`. When Redis cannot answer, `RATE_LIMIT_FAIL_OPEN` decides.
   */
  static readonly layerRedis = Layer.effect(
    RateLimiter,
    Effect.gen(function*() {
      const redis = yield* Redis
      const failOpen = yield* RateLimitFailOpen
      const unavailable = (limit: number, windowMs: number) => (error: RedisError) =>
        Effect.logWarning(
          failOpen
            ? "Rate limiter unavailable: allowing the request (RATE_LIMIT_FAIL_OPEN=true)"
            : "Rate limiter unavailable: denying the request (RATE_LIMIT_FAIL_OPEN=false)",
          error.cause
        ).pipe(Effect.as<RateLimitDecision>(
          failOpen
            ? {
              allowed: true,
              limit,
              remaining: Math.max(0, limit - 1),
              retryAfterSeconds: 0,
              resetSeconds: Math.ceil(windowMs / 1000)
            }
            : { allowed: false, limit, remaining: 0, retryAfterSeconds: 1, resetSeconds: 1 }
        ))
      const peek = Effect.fn("RateLimiter.peek")(function*(key: string, rule: RateLimitRule) {
        const millis = ruleMillis(rule)
        if (millis === undefined) return yield* invalidRule(rule)
        const { limit, windowMs } = millis
        const now = Math.floor(yield* Clock.currentTimeMillis)
        return yield* redis.use((client) => client.hmget(redisKeyNamespace + key, "w", "c", "p")).pipe(
          Effect.flatMap(parseCounts),
          Effect.map((stored) => peekDecision(stored, limit, windowMs, now)),
          Effect.catchTag("RedisError", unavailable(limit, windowMs))
        )
      })
      // Untraced: it runs on every metered request.
      const consumeAll = Effect.fnUntraced(function*(rules: ReadonlyArray<KeyedRule>) {
        const buckets = yield* bucketsOf(rules, redisKeyNamespace)
        if (buckets.length === 0) return []
        const now = Math.floor(yield* Clock.currentTimeMillis)
        return yield* redis.use((client) =>
          script.run(
            client,
            buckets.map((bucket) => bucket.key),
            [now, ...buckets.flatMap((bucket) => [bucket.windowMs, bucket.limit])]
          )
        ).pipe(
          Effect.flatMap((reply) => parseAllReply(reply, buckets.length)),
          Effect.map((standings) =>
            decideAll(standings.map((standing, index) => ({
              ...standing,
              limit: buckets[index]!.limit,
              windowMs: buckets[index]!.windowMs
            })))
          ),
          Effect.catchTag(
            "RedisError",
            (error) => Effect.forEach(buckets, (bucket) => unavailable(bucket.limit, bucket.windowMs)(error))
          )
        )
      })
      const consume = Effect.fn("RateLimiter.consume")(function*(key: string, rule: RateLimitRule) {
        return (yield* consumeAll([{ key, rule }]))[0]!
      })
      return RateLimiter.of({ consume, peek, consumeAll })
    })
  )

  /** The backend named by `RATE_LIMIT_BACKEND` (`memory` by default). */
  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    return (yield* RateLimitBackend) === "redis" ? RateLimiter.layerRedis : RateLimiter.layerMemory
  }))
}

/** Consumes from `key`, failing with the reference's 429 when the rule denies the request. */
export const enforce = Effect.fn("RateLimiter.enforce")(function*(key: string, rule: RateLimitRule) {
  const limiter = yield* RateLimiter
  const decision = yield* limiter.consume(key, rule)
  if (!decision.allowed) return yield* Effect.fail(TooManyRequests.rateLimited(decision.retryAfterSeconds))
  return decision
})
