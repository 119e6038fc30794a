import { Redis } from "@cuebx/redis"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Layer } from "effect"
import { TestClock } from "effect/testing"
import { enforce, RateLimiter } from "../src/RateLimiter.ts"

const perMinute = (limit: number) => ({ limit, window: Duration.minutes(1) })

const consumeTimes = (key: string, rule: { limit: number; window: Duration.Duration }, times: number) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter
    return yield* Effect.forEach(Array.from({ length: times }), () => limiter.consume(key, rule))
  })

const allowedCount = (decisions: ReadonlyArray<{ readonly allowed: boolean }>) =>
  decisions.filter((decision) => decision.allowed).length

describe("RateLimiter.layerMemory", () => {
  it.effect("admits up to the limit, then denies until a slot frees", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const admitted = yield* consumeTimes("ip:1.2.3.4:/auth/signin", perMinute(3), 3)
      assert.deepStrictEqual(admitted.map((decision) => decision.remaining), [2, 1, 0])
      assert.deepStrictEqual(admitted[0], {
        allowed: true,
        limit: 3,
        remaining: 2,
        retryAfterSeconds: 0,
        resetSeconds: 120
      })
      // Three at the start of a window weigh 3 × (unelapsed share) on the next one: a slot frees
      // once a third of it has passed, 80 s from now.
      const denied = yield* limiter.consume("ip:1.2.3.4:/auth/signin", perMinute(3))
      assert.deepStrictEqual(denied, {
        allowed: false,
        limit: 3,
        remaining: 0,
        retryAfterSeconds: 80,
        resetSeconds: 120
      })
      yield* TestClock.adjust(Duration.millis(79_999))
      const almost = yield* limiter.consume("ip:1.2.3.4:/auth/signin", perMinute(3))
      assert.deepStrictEqual([almost.allowed, almost.retryAfterSeconds], [false, 1])
      yield* TestClock.adjust(Duration.millis(1))
      assert.isTrue((yield* limiter.consume("ip:1.2.3.4:/auth/signin", perMinute(3))).allowed)
    }).pipe(Effect.provide(RateLimiter.layerMemory)))

  it.effect("slides: the previous window's requests age out gradually", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const key = "user:u1:/jobs"
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 2)), 2)
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 3)), 2)
      // A fixed window would allow 4 again at the boundary; here all 4 still weigh fully.
      yield* TestClock.adjust("30 seconds")
      const atBoundary = yield* limiter.consume(key, perMinute(4))
      assert.deepStrictEqual([atBoundary.allowed, atBoundary.retryAfterSeconds], [false, 15])
      yield* TestClock.adjust("15 seconds")
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 2)), 1)
      yield* TestClock.adjust("15 seconds")
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 2)), 1)
      // Two full windows later nothing weighs any more.
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 5)), 4)
    }).pipe(Effect.provide(RateLimiter.layerMemory)))

  it.effect("does not count denied requests, so hammering does not extend the lockout", () =>
    Effect.gen(function*() {
      const rule = { limit: 2, window: Duration.seconds(10) }
      const key = "email:a@example.com:/auth/password/reset"
      assert.strictEqual(allowedCount(yield* consumeTimes(key, rule, 2)), 2)
      const retries: Array<number> = []
      for (let second = 0; second < 15; second++) {
        const decisions = yield* consumeTimes(key, rule, 20)
        assert.strictEqual(allowedCount(decisions), 0)
        retries.push(decisions[0]!.retryAfterSeconds)
        yield* TestClock.adjust("1 second")
      }
      assert.deepStrictEqual(retries, [15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
      assert.strictEqual(allowedCount(yield* consumeTimes(key, rule, 2)), 1)
    }).pipe(Effect.provide(RateLimiter.layerMemory)))

  it.effect("keeps keys independent", () =>
    Effect.gen(function*() {
      assert.strictEqual(allowedCount(yield* consumeTimes("ip:10.0.0.1:/auth/signin", perMinute(2), 3)), 2)
      assert.strictEqual(allowedCount(yield* consumeTimes("ip:10.0.0.2:/auth/signin", perMinute(2), 3)), 2)
      assert.strictEqual(allowedCount(yield* consumeTimes("ip:10.0.0.1:/auth/signup", perMinute(2), 3)), 2)
    }).pipe(Effect.provide(RateLimiter.layerMemory)))

  it.effect("shares one store between concurrent requests", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const decisions = yield* Effect.all(
        Array.from({ length: 50 }, () => limiter.consume("ip:1.1.1.1:/auth/signin", perMinute(10))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(allowedCount(decisions), 10)
    }).pipe(Effect.provide(RateLimiter.layerMemory)))

  it.effect("peek tells what consume would decide, and counts nothing", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const key = "ip:1.2.3.4:/admin/failures"
      const rule = perMinute(2)
      for (let i = 0; i < 5; i++) assert.isTrue((yield* limiter.peek(key, rule)).allowed)
      assert.strictEqual(allowedCount(yield* consumeTimes(key, rule, 2)), 2)
      const peeked = yield* limiter.peek(key, rule)
      const consumed = yield* limiter.consume(key, rule)
      assert.deepStrictEqual(peeked, consumed)
      assert.deepStrictEqual([peeked.allowed, peeked.retryAfterSeconds], [false, 90])
      yield* TestClock.adjust("90 seconds")
      assert.isTrue((yield* limiter.peek(key, rule)).allowed)
      assert.isTrue((yield* limiter.consume(key, rule)).allowed)
    }).pipe(Effect.provide(RateLimiter.layerMemory)))

  it.effect("denies everything with a limit of 0 and dies on an invalid rule", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const zero = yield* limiter.consume("k", perMinute(0))
      assert.deepStrictEqual([zero.allowed, zero.retryAfterSeconds], [false, 60])
      const invalid = yield* limiter.consume("k", { limit: 1, window: Duration.zero }).pipe(Effect.exit)
      assert.isTrue(Exit.hasDies(invalid))
    }).pipe(Effect.provide(RateLimiter.layerMemory)))
})

describe("enforce", () => {
  it.effect("returns the decision when allowed and the reference's 429 when denied", () =>
    Effect.gen(function*() {
      const allowed = yield* enforce("ip:1.2.3.4:/auth/signup", { limit: 1, window: Duration.hours(1) })
      assert.strictEqual(allowed.remaining, 0)
      const error = yield* enforce("ip:1.2.3.4:/auth/signup", { limit: 1, window: Duration.hours(1) }).pipe(
        Effect.flip
      )
      assert.strictEqual(error._tag, "TooManyRequests")
      assert.strictEqual(error.retryAfterSeconds, 7200)
      assert.strictEqual(error.detail, "Rate limit exceeded. Try again in 7200 seconds.")
    }).pipe(Effect.provide(RateLimiter.layerMemory)))
})

// Redis is unreachable and the limiter fails closed: only the memory backend can admit anything.
const withBackend = (env: Record<string, string>) =>
  RateLimiter.layer.pipe(
    Layer.provide(Redis.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      REDIS_URL: "redis://127.0.0.1:1/0",
      REDIS_COMMAND_TIMEOUT: "100 millis",
      RATE_LIMIT_FAIL_OPEN: "false",
      ...env
    })))
  )

describe("RateLimiter.layer", () => {
  it.live("uses the memory backend by default", () =>
    Effect.gen(function*() {
      assert.strictEqual(allowedCount(yield* consumeTimes("k", perMinute(2), 3)), 2)
    }).pipe(Effect.provide(withBackend({}))))

  it.live("uses the Redis backend when RATE_LIMIT_BACKEND=redis", () =>
    Effect.gen(function*() {
      const [decision] = yield* consumeTimes("k", perMinute(2), 1)
      assert.deepStrictEqual([decision?.allowed, decision?.retryAfterSeconds], [false, 1])
    }).pipe(Effect.provide(withBackend({ RATE_LIMIT_BACKEND: "redis" }))))
})
