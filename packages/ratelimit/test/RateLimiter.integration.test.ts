import { Redis } from "@cuebx/redis"
import { captureLogs, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import { Cause, ConfigProvider, Duration, Effect, Exit, Layer } from "effect"
import { TestClock } from "effect/testing"
import { RateLimiter } from "../src/RateLimiter.ts"
import { redisScript } from "../src/RedisScript.ts"
import { makeMemoryStore, slidingWindowAllScript } from "../src/SlidingWindow.ts"

const perMinute = (limit: number) => ({ limit, window: Duration.minutes(1) })

const consumeTimes = (key: string, rule: { limit: number; window: Duration.Duration }, times: number) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter
    return yield* Effect.forEach(Array.from({ length: times }), () => limiter.consume(key, rule))
  })

const allowedCount = (decisions: ReadonlyArray<{ readonly allowed: boolean }>) =>
  decisions.filter((decision) => decision.allowed).length

/** Each test gets its own virtual clock; Redis keeps its state across the file, so keys differ. */
const withTestClock = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Effect.provide(TestClock.layer()))

layer(
  RateLimiter.layerRedis.pipe(Layer.provideMerge(Redis.layer), Layer.provideMerge(TestInfra.layer())),
  { excludeTestServices: true }
)("RateLimiter.layerRedis", (it) => {
  it.effect("admits up to the limit, then denies until a slot frees", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const key = "ip:1.2.3.4:/auth/signin"
      const admitted = yield* consumeTimes(key, perMinute(3), 3)
      assert.deepStrictEqual(admitted.map((decision) => decision.remaining), [2, 1, 0])
      const denied = yield* limiter.consume(key, perMinute(3))
      assert.deepStrictEqual(denied, {
        allowed: false,
        limit: 3,
        remaining: 0,
        retryAfterSeconds: 80,
        resetSeconds: 120
      })
      yield* TestClock.adjust(Duration.millis(79_999))
      assert.isFalse((yield* limiter.consume(key, perMinute(3))).allowed)
      yield* TestClock.adjust(Duration.millis(1))
      assert.isTrue((yield* limiter.consume(key, perMinute(3))).allowed)
    })))

  it.effect("a reply the script should never give is a defect, not a reason to let the request through", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const redis = yield* Redis
      // A count beyond what Redis can return as an integer: the script's reply no longer fits.
      yield* redis.use((client) => client.hset("rate_limit:ip:9.9.9.9:/corrupt", { w: 0, c: "1e20", p: 0 }))
      const exit = yield* Effect.exit(limiter.consume("ip:9.9.9.9:/corrupt", perMinute(5)))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
    })))

  it.effect("slides, and does not count denied requests", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const key = "user:u1:/jobs"
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 2)), 2)
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 30)), 2)
      yield* TestClock.adjust("30 seconds")
      const atBoundary = yield* limiter.consume(key, perMinute(4))
      assert.deepStrictEqual([atBoundary.allowed, atBoundary.retryAfterSeconds], [false, 15])
      yield* TestClock.adjust("15 seconds")
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 20)), 1)
      yield* TestClock.adjust("15 seconds")
      assert.strictEqual(allowedCount(yield* consumeTimes(key, perMinute(4), 20)), 1)
    })))

  it.effect("peek tells what consume would decide, and counts nothing", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const redis = yield* Redis
      const key = "ip:1.2.3.4:/admin/failures"
      const rule = perMinute(2)
      assert.isTrue((yield* limiter.peek(key, rule)).allowed)
      assert.strictEqual(yield* redis.use((client) => client.exists(`rate_limit:${key}`)), 0)
      assert.strictEqual(allowedCount(yield* consumeTimes(key, rule, 2)), 2)
      const peeked = yield* limiter.peek(key, rule)
      assert.deepStrictEqual(peeked, yield* limiter.consume(key, rule))
      assert.deepStrictEqual([peeked.allowed, peeked.retryAfterSeconds], [false, 90])
      assert.deepStrictEqual(yield* redis.use((client) => client.hgetall(`rate_limit:${key}`)), {
        w: "0",
        c: "2",
        p: "0"
      })
      yield* TestClock.adjust("90 seconds")
      assert.isTrue((yield* limiter.peek(key, rule)).allowed)
    })))

  it.effect("keeps keys independent, under rate_limit: and the deployment prefix", () =>
    withTestClock(Effect.gen(function*() {
      assert.strictEqual(allowedCount(yield* consumeTimes("ip:10.0.0.1:/auth/signin", perMinute(2), 3)), 2)
      assert.strictEqual(allowedCount(yield* consumeTimes("ip:10.0.0.2:/auth/signin", perMinute(2), 3)), 2)
      const redis = yield* Redis
      const { redisKeyPrefix } = yield* TestEnvironment
      // SCAN patterns and results are not prefixed by the client: they show the full key names.
      const keys: Array<string> = []
      let cursor = "0"
      do {
        const [next, found] = yield* redis.use((client) =>
          client.scan(cursor, "MATCH", `${redisKeyPrefix}rate_limit:ip:10.0.0.*`, "COUNT", 1000)
        )
        keys.push(...found)
        cursor = next
      } while (cursor !== "0")
      assert.deepStrictEqual(keys.toSorted(), [
        `${redisKeyPrefix}rate_limit:ip:10.0.0.1:/auth/signin`,
        `${redisKeyPrefix}rate_limit:ip:10.0.0.2:/auth/signin`
      ])
      const stored = yield* redis.use((client) => client.hgetall("rate_limit:ip:10.0.0.1:/auth/signin"))
      assert.deepStrictEqual(stored, { w: "0", c: "2", p: "0" })
    })))

  it.effect("admits exactly the limit out of 50 concurrent requests", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const decisions = yield* Effect.all(
        Array.from({ length: 50 }, () => limiter.consume("ip:1.1.1.1:/concurrent", perMinute(10))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(allowedCount(decisions), 10)
      assert.deepStrictEqual(
        decisions.filter((decision) => decision.allowed).map((decision) => decision.remaining).toSorted((a, b) =>
          a - b
        ),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
      )
    })))

  it.effect("sets a TTL so idle keys expire", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const redis = yield* Redis
      yield* TestClock.adjust("20 seconds")
      yield* limiter.consume("ip:9.9.9.9:/ttl", perMinute(5))
      const ttl = yield* redis.use((client) => client.pttl("rate_limit:ip:9.9.9.9:/ttl"))
      // Until the end of the next window: 2 × 60 s − 20 s elapsed.
      assert.isAbove(ttl, 99_000)
      assert.isAtMost(ttl, 100_000)
      yield* limiter.consume("ip:9.9.9.9:/expires", { limit: 5, window: Duration.millis(50) })
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 250)))
      assert.strictEqual(yield* redis.use((client) => client.exists("rate_limit:ip:9.9.9.9:/expires")), 0)
    })))

  it.effect("decides exactly like the memory backend, at realistic timestamps", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const memory = makeMemoryStore()
      let state = 7
      const next = (max: number) => {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31
        return state % max
      }
      let now = 1_767_225_600_000 + 12_345
      const outcomes = { allowed: 0, denied: 0 }
      for (const [limit, windowMs] of [[3, 60_000], [10, 1_000], [10_000, 86_400_000]] as const) {
        const key = `parity:${limit}`
        for (let step = 0; step < 60; step++) {
          now += next(Math.floor(windowMs / (limit > 100 ? 10_000 : 3)))
          yield* TestClock.setTime(now)
          const burst = 1 + next(limit > 100 ? 3 : 5)
          for (let i = 0; i < burst; i++) {
            const fromRedis = yield* limiter.consume(key, { limit, window: Duration.millis(windowMs) })
            assert.deepStrictEqual(fromRedis, memory.consume(key, limit, windowMs, now), `${key} step ${step}`)
            outcomes[fromRedis.allowed ? "allowed" : "denied"]++
          }
        }
      }
      assert.isAbove(outcomes.allowed, 50)
      assert.isAbove(outcomes.denied, 50)
    })))

  it.effect("loads the script with EVAL when Redis does not know it (NOSCRIPT)", () =>
    Effect.gen(function*() {
      const redis = yield* Redis
      // A variant no Redis has seen: its SHA is unknown, as after a restart or SCRIPT FLUSH.
      const script = redisScript(`${slidingWindowAllScript}\n-- ${crypto.randomUUID()}`)
      const loaded = redis.use((client) => client.script("EXISTS", script.sha))
      assert.deepStrictEqual(yield* loaded, [0])
      // 2026-01-01T00:00:01.234Z: 1 234 ms into a one-minute window.
      const args = [1_767_225_601_234, 60_000, 5]
      const first = yield* redis.use((client) => script.run(client, ["rate_limit:noscript"], args))
      assert.deepStrictEqual(yield* loaded, [1])
      const second = yield* redis.use((client) => script.run(client, ["rate_limit:noscript"], args))
      // { all admitted, then the bucket's: admits, previous, current before this request, elapsed }
      assert.deepStrictEqual([first, second], [[1, 1, 0, 0, 1234], [1, 1, 0, 1, 1234]])
    }))
})

const unreachable = (failOpen: string) =>
  RateLimiter.layerRedis.pipe(
    Layer.provide(Redis.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      REDIS_URL: "redis://127.0.0.1:1/0",
      REDIS_COMMAND_TIMEOUT: "200 millis",
      RATE_LIMIT_FAIL_OPEN: failOpen
    })))
  )

const limiterWarnings = (lines: ReadonlyArray<{ readonly message: unknown; readonly level: string }>) =>
  lines.filter((line) => JSON.stringify(line.message).includes("Rate limiter unavailable")).map((line) => line.level)

it.live("fails open with a warning when Redis is unreachable (default)", () => {
  const logs = captureLogs()
  return Effect.gen(function*() {
    const decisions = yield* consumeTimes("ip:1.2.3.4:/down", perMinute(1), 3)
    assert.deepStrictEqual(
      decisions,
      Array.from({ length: 3 }, () => ({
        allowed: true,
        limit: 1,
        remaining: 0,
        retryAfterSeconds: 0,
        resetSeconds: 60
      }))
    )
    assert.deepStrictEqual(limiterWarnings(logs.lines), ["WARN", "WARN", "WARN"])
  }).pipe(Effect.provide(Layer.merge(unreachable("true"), logs.layer)))
})

it.live("fails closed when RATE_LIMIT_FAIL_OPEN=false", () => {
  const logs = captureLogs()
  return Effect.gen(function*() {
    const decisions = yield* consumeTimes("ip:1.2.3.4:/down", perMinute(100), 2)
    assert.deepStrictEqual(decisions.map((decision) => [decision.allowed, decision.retryAfterSeconds]), [
      [false, 1],
      [false, 1]
    ])
    assert.deepStrictEqual(limiterWarnings(logs.lines), ["WARN", "WARN"])
  }).pipe(Effect.provide(Layer.merge(unreachable("false"), logs.layer)))
})
