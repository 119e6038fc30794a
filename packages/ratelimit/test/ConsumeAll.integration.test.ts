/**
 * `consumeAll`: a request that must pass several rules at once (per minute and per day) is
 * counted in every bucket only when all of them admit it, and both backends decide identically.
 */
import { Redis } from "@cuebx/redis"
import { TestInfra } from "@cuebx/testing"
import { assert, describe, layer, type Vitest } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { type KeyedRule, RateLimiter } from "../src/RateLimiter.ts"
import { makeMemoryStore } from "../src/SlidingWindow.ts"

const rules = (key: string, perMinute: number, perDay: number): ReadonlyArray<KeyedRule> => [
  { key: `${key}:minute`, rule: { limit: perMinute, window: Duration.minutes(1) } },
  { key: `${key}:day`, rule: { limit: perDay, window: Duration.days(1) } }
]

const withTestClock = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Effect.provide(TestClock.layer()))

const behaviour = <R>(it: Vitest.MethodsNonLive<R | RateLimiter>, prefix: string) => {
  it.effect("counts a request in every window only when all admit it", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const key = `${prefix}:both`
      // Three a day, five a minute: the fourth is refused by the day and not counted in the minute.
      for (let index = 0; index < 3; index++) {
        const [minute, day] = yield* limiter.consumeAll(rules(key, 5, 3))
        assert.deepStrictEqual([minute!.allowed, day!.allowed], [true, true])
        assert.deepStrictEqual([minute!.remaining, day!.remaining], [4 - index, 2 - index])
      }
      const [minute, day] = yield* limiter.consumeAll(rules(key, 5, 3))
      assert.deepStrictEqual([minute!.allowed, day!.allowed], [true, false])
      assert.strictEqual(minute!.remaining, 2, "the refused request left the minute untouched")
      assert.isAtLeast(day!.retryAfterSeconds, 1)
      assert.strictEqual(minute!.retryAfterSeconds, 0)
      const again = yield* limiter.consumeAll(rules(key, 5, 3))
      assert.strictEqual(again[0]!.remaining, 2)
    })))

  it.effect("a window that refuses first keeps the other untouched", () =>
    withTestClock(Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const key = `${prefix}:minute-first`
      yield* limiter.consumeAll(rules(key, 1, 100))
      const [minute, day] = yield* limiter.consumeAll(rules(key, 1, 100))
      assert.deepStrictEqual([minute!.allowed, day!.allowed, day!.remaining], [false, true, 99])
      yield* TestClock.adjust("2 minutes")
      const [later] = yield* limiter.consumeAll(rules(key, 1, 100))
      assert.isTrue(later!.allowed)
    })))
}

describe("RateLimiter.consumeAll", () => {
  layer(RateLimiter.layerMemory)("in memory", (it) => behaviour(it, "memory"))

  layer(
    RateLimiter.layerRedis.pipe(Layer.provideMerge(Redis.layer), Layer.provideMerge(TestInfra.layer())),
    { excludeTestServices: true }
  )("in Redis", (it) => {
    behaviour(it, "redis")

    it.effect("decides exactly like the memory backend", () =>
      withTestClock(Effect.gen(function*() {
        const limiter = yield* RateLimiter
        const memory = makeMemoryStore()
        let now = 1_767_225_600_000 + 777
        for (let step = 0; step < 200; step++) {
          now += (step * 7919) % 4_000
          yield* TestClock.setTime(now)
          const fromRedis = yield* limiter.consumeAll(rules("parity", 6, 40))
          const fromMemory = memory.consumeAll([
            { key: "parity:minute", limit: 6, windowMs: 60_000 },
            { key: "parity:day", limit: 40, windowMs: 86_400_000 }
          ], now)
          assert.deepStrictEqual(fromRedis, fromMemory, `step ${step}`)
        }
      })))
  })
})
