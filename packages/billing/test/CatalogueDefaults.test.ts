import { featureKeyProduct, featureKeys, formatAmount } from "@cuebx/contract"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { defaultPricingRule, featureCostDefaults, pricingRuleDefaults } from "../src/catalogue/CatalogueDefaults.ts"
import { loadCatalogueFile } from "../src/catalogue/CatalogueFile.ts"
import { FeatureKeyColumn, featureKeyDbName } from "../src/FeatureKeys.ts"

// SPEC.md "Defaults shipped with the catalogue": credits per period, requests per minute, per day.
const expectedRules = {
  "API/Free": ["500.00", 10, 200],
  "API/Basic": ["10000.00", 60, 10_000],
  "API/Professional": ["100000.00", 300, null],
  "CAREER/Free": ["100.00", 20, 500],
  "CAREER/Plus Plan": ["1000.00", 30, 2_000],
  "CAREER/Pro Plan": ["5000.00", 60, 10_000]
} as const

const doubleCost = ["career_path", "job_match", "generate_feedback", "feedback_analyzer", "reframe_feedback"]

describe("catalogue defaults", () => {
  it.effect("every plan of the packaged catalogue has its default pricing rule, multiplier 1.00", () =>
    Effect.gen(function*() {
      const catalogue = yield* loadCatalogueFile()
      const plans = [...catalogue.api_plans, ...catalogue.career_plans]
      assert.deepStrictEqual(
        plans.map((plan) => `${plan.product_type}/${plan.name}`),
        Object.keys(expectedRules)
      )
      for (const plan of plans) {
        const rule = defaultPricingRule(plan.product_type, plan.name)
        const [credits, perMinute, perDay] =
          expectedRules[`${plan.product_type}/${plan.name}` as keyof typeof expectedRules]
        assert.isDefined(rule)
        assert.deepStrictEqual({
          ...rule!,
          multiplier: formatAmount(rule!.multiplier),
          creditsAllocation: formatAmount(rule!.creditsAllocation)
        }, {
          multiplier: "1.00",
          creditsAllocation: credits,
          rateLimitPerMinute: perMinute,
          rateLimitPerDay: perDay
        }, `${plan.product_type}/${plan.name}`)
      }
    }).pipe(Effect.provide(NodeServices.layer)))

  it("ships no rule for plans outside the catalogue", () => {
    assert.strictEqual(defaultPricingRule("API", "Enterprise"), undefined)
    assert.strictEqual(defaultPricingRule("CAREER", "Basic"), undefined)
    assert.strictEqual(defaultPricingRule("API", "toString"), undefined)
    assert.deepStrictEqual(Object.keys(pricingRuleDefaults.API), ["Free", "Basic", "Professional"])
    assert.deepStrictEqual(Object.keys(pricingRuleDefaults.CAREER), ["Free", "Plus Plan", "Pro Plan"])
  })

  it("costs every one of the 20 feature keys once: 2.00 for the five model-heavy features, 1.00 otherwise", () => {
    assert.strictEqual(featureKeys.length, 20)
    assert.deepStrictEqual(featureCostDefaults.map((cost) => cost.featureKey), [...featureKeys])
    for (const cost of featureCostDefaults) {
      const [prefix, ...rest] = cost.featureKey.split(".")
      assert.strictEqual(cost.productType, prefix === "api" ? "API" : "CAREER", cost.featureKey)
      assert.strictEqual(
        formatAmount(cost.internalCostCredits),
        doubleCost.includes(rest.join(".")) ? "2.00" : "1.00",
        cost.featureKey
      )
    }
    assert.strictEqual(
      featureCostDefaults.filter((cost) => formatAmount(cost.internalCostCredits) === "2.00").length,
      10
    )
  })

  it("feature keys: ten per product, stored under the reference's enum names", () => {
    assert.strictEqual(featureKeys.filter((key) => featureKeyProduct(key) === "API").length, 10)
    assert.strictEqual(featureKeys.filter((key) => featureKeyProduct(key) === "CAREER").length, 10)
    assert.strictEqual(featureKeyDbName("api.career_path"), "API_CAREER_PATH")
    assert.strictEqual(featureKeyDbName("api.extract_cues.resume"), "API_EXTRACT_CUES_RESUME")
    assert.strictEqual(featureKeyDbName("career.reframe_feedback"), "CAREER_REFRAME_FEEDBACK")
    for (const key of featureKeys) {
      assert.strictEqual(Schema.decodeUnknownSync(FeatureKeyColumn)(featureKeyDbName(key)), key)
      assert.strictEqual(Schema.encodeSync(FeatureKeyColumn)(key), featureKeyDbName(key))
    }
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(FeatureKeyColumn)("API_UNKNOWN")))
  })
})
