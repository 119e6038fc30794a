/**
 * The pure rules of metered usage: the reference's request fingerprint (its test vectors),
 * billing periods, quantized costs, the start-up pricing check, history titles, and group commit.
 */
import { formatAmount } from "@cuebx/contract"
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, DateTime, Effect } from "effect"
import { titleOf } from "../src/CareerHistory.ts"
import { canonicalRequest, fingerprint } from "../src/Fingerprint.ts"
import { groupCommit } from "../src/GroupCommit.ts"
import { periodAt } from "../src/Periods.ts"
import { quantizedCost, unpriced } from "../src/PricingCatalog.ts"

const decimal = BigDecimal.fromStringUnsafe
const at = (iso: string) => DateTime.makeUnsafe(iso)

describe("the request fingerprint (§A.4)", () => {
  it("matches the reference's test vectors", () => {
    const first = {
      endpoint: "/v1/extract-cues/resume",
      method: "POST",
      payloadHash: "a".repeat(64),
      usageEstimate: null,
      featureKey: "api.extract_cues.resume"
    }
    assert.strictEqual(
      canonicalRequest(first),
      `{"endpoint":"/v1/extract-cues/resume","feature_key":"api.extract_cues.resume","method":"POST","payload_hash":"${
        "a".repeat(64)
      }","usage_estimate":null}`
    )
    assert.strictEqual(fingerprint(first), "ff015d5adb939bb34e9d79ec461feca18041eb31ae1979436220412a510054e1")
    assert.strictEqual(
      fingerprint({
        endpoint: "/test",
        method: "POST",
        payloadHash: "a".repeat(64),
        usageEstimate: { input_chars: 1000, max_output_tokens: 500, model: "gpt-4" },
        featureKey: "career.career_path"
      }),
      "a1e929d0fcfbf02b5de66e0e312cf06931348e5acbb76c9d7d3a1f9a5c73bad8"
    )
  })

  it("normalises like Python (lower, upper, strip) and escapes like ensure_ascii", () => {
    const base = { payloadHash: "b".repeat(64), usageEstimate: { model: "é\u007f😀" }, featureKey: "api.job_match" }
    const text = canonicalRequest({ ...base, endpoint: " /V1/X\u001f", method: "post\u00a0" })
    assert.include(text, `"endpoint":"/v1/x"`)
    assert.include(text, `"method":"POST"`)
    assert.include(text, `"model":"\\u00e9\\u007f\\ud83d\\ude00"`)
    assert.include(text, `"usage_estimate":{"input_chars":null,"max_output_tokens":null,"model"`)
    assert.strictEqual(
      fingerprint({ ...base, endpoint: "/v1/x", method: "POST" }),
      fingerprint({ ...base, endpoint: " /V1/X ", method: "post" })
    )
  })
})

describe("billing periods", () => {
  const now = at("2026-03-20T10:00:00Z")
  it("free plans: 30 days from the subscription's start", () => {
    const period = periodAt({
      startedAt: at("2026-01-01T00:00:00Z"),
      currentPeriodStart: null,
      currentPeriodEnd: null,
      paid: false
    }, now)
    assert.deepStrictEqual([DateTime.formatIso(period.start), DateTime.formatIso(period.end)], [
      "2026-03-02T00:00:00.000Z",
      "2026-04-01T00:00:00.000Z"
    ])
  })

  it("paid plans: Stripe's period, rolled on with its length when it has ended (a lost webhook)", () => {
    const basis = {
      startedAt: at("2025-12-01T00:00:00Z"),
      currentPeriodStart: at("2026-03-01T00:00:00Z"),
      currentPeriodEnd: at("2026-03-31T00:00:00Z"),
      paid: true
    }
    assert.strictEqual(DateTime.formatIso(periodAt(basis, now).start), "2026-03-01T00:00:00.000Z")
    const later = periodAt(basis, at("2026-04-05T00:00:00Z"))
    assert.deepStrictEqual([DateTime.formatIso(later.start), DateTime.formatIso(later.end)], [
      "2026-03-31T00:00:00.000Z",
      "2026-04-30T00:00:00.000Z"
    ])
  })
})

describe("prices", () => {
  it("quantizes cost × multiplier once, to two decimals, half-even", () => {
    assert.strictEqual(formatAmount(quantizedCost(decimal("0.15"), decimal("0.15"))), "0.02")
    assert.strictEqual(formatAmount(quantizedCost(decimal("1.00"), decimal("1.00"))), "1.00")
    assert.strictEqual(formatAmount(quantizedCost(decimal("0.25"), decimal("0.50"))), "0.12")
  })

  it("the start-up check names every active plan without a rule and feature without a cost", () => {
    const missing = unpriced({
      rules: [],
      costs: [],
      activePlans: [{ id: "p1", name: "Basic", productType: "API" }]
    })
    assert.include(missing, "plan API/Basic has no pricing rule")
    assert.include(missing, "feature career.job_match has no cost")
    assert.strictEqual(missing.length, 21)
  })
})

it("titles of Career results are the reference's", () => {
  assert.strictEqual(titleOf("career.career_path"), "Career Path Analysis")
  assert.strictEqual(titleOf("career.extract_cues.assessment"), "Assessment Cue Extraction")
})

describe("group commit", () => {
  it.live("handles an idle item at once and batches what queues up meanwhile", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<number>> = []
      const submit = yield* groupCommit(
        (items: ReadonlyArray<number>) =>
          Effect.sync(() => {
            batches.push(items)
            return items.map((item) => item * 10)
          }).pipe(Effect.delay("1 millis")),
        { workers: 1, maxBatch: 50 }
      )
      assert.strictEqual(yield* submit(1), 10)
      const results = yield* Effect.forEach([2, 3, 4, 5], submit, { concurrency: "unbounded" })
      assert.deepStrictEqual(results, [20, 30, 40, 50])
      assert.isBelow(batches.length, 5, "concurrent items shared a batch")
    }).pipe(Effect.scoped))

  it.effect("a failed batch fails each of its callers", () =>
    Effect.gen(function*() {
      const submit = yield* groupCommit(() => Effect.die("database down"), { workers: 2, maxBatch: 10 })
      const exits = yield* Effect.forEach([1, 2], (item) => Effect.exit(submit(item)), { concurrency: "unbounded" })
      assert.isTrue(exits.every((exit) => exit._tag === "Failure"))
    }).pipe(Effect.scoped))
})
