import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { makeMemoryStore, ruleMillis } from "../src/SlidingWindow.ts"

/** A small deterministic generator, so a failing sequence can be replayed. */
const lcg = (seed: number) => {
  let state = seed
  return (max: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state % max
  }
}

describe("SlidingWindow", () => {
  it("validates rules", () => {
    assert.deepStrictEqual(ruleMillis({ limit: 5, window: Duration.hours(1) }), { limit: 5, windowMs: 3_600_000 })
    assert.isDefined(ruleMillis({ limit: 0, window: Duration.seconds(1) }))
    assert.isUndefined(ruleMillis({ limit: -1, window: Duration.seconds(1) }))
    assert.isUndefined(ruleMillis({ limit: 1.5, window: Duration.seconds(1) }))
    assert.isUndefined(ruleMillis({ limit: 1, window: Duration.zero }))
    assert.isUndefined(ruleMillis({ limit: 1, window: Duration.infinity }))
  })

  it("retryAfterSeconds is the exact wait and remaining the exact headroom", () => {
    for (const [limit, windowMs] of [[1, 1_000], [3, 60_000], [10, 60_000], [5, 3_600_000], [7, 2_500]] as const) {
      const store = makeMemoryStore()
      const next = lcg(limit * windowMs)
      let now = 1_700_000_000_000 + next(windowMs)
      for (let step = 0; step < 400; step++) {
        const decision = store.consume("k", limit, windowMs, now)
        if (decision.allowed) {
          assert.strictEqual(decision.retryAfterSeconds, 0)
          // `remaining` more requests fit at this instant, and not one more.
          for (let i = 0; i < decision.remaining; i++) assert.isTrue(store.consume("k", limit, windowMs, now).allowed)
          assert.isFalse(store.consume("k", limit, windowMs, now).allowed)
          now += next(windowMs)
        } else {
          assert.isAtLeast(decision.retryAfterSeconds, 1)
          assert.strictEqual(decision.remaining, 0)
          const retryAt = now + decision.retryAfterSeconds * 1000
          if (decision.retryAfterSeconds > 1) {
            assert.isFalse(store.consume("k", limit, windowMs, retryAt - 1000).allowed, `limit ${limit} at ${now}`)
          }
          assert.isTrue(store.consume("k", limit, windowMs, retryAt).allowed, `limit ${limit} at ${now}`)
          now = retryAt + next(windowMs / 4)
        }
      }
    }
  })

  it("keeps one entry per key however many requests it counts (10 000 per day)", () => {
    const store = makeMemoryStore()
    const day = 86_400_000
    let now = 1_700_000_000_000
    for (let i = 0; i < 10_000; i++) {
      assert.isTrue(store.consume("usage", 10_000, day, now).allowed)
      now += 1
    }
    const denied = store.consume("usage", 10_000, day, now)
    assert.isFalse(denied.allowed)
    assert.strictEqual(store.size, 1)
  })

  it("prunes entries once their counts can no longer matter", () => {
    const store = makeMemoryStore(1_000)
    for (let i = 0; i < 100; i++) store.consume(`ip:${i}`, 5, 10_000, 0)
    assert.strictEqual(store.size, 100)
    // Counted in window 0, they still weigh on window 1 and are gone after it.
    store.consume("other", 5, 10_000, 19_999)
    assert.strictEqual(store.size, 101)
    store.consume("other", 5, 10_000, 21_000)
    assert.strictEqual(store.size, 1)
  })
})
