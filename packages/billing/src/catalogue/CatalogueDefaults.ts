/**
 * The allowances and feature costs shipped with the catalogue (SPEC "Defaults shipped with the
 * catalogue"). A sync inserts them only where a plan or feature has none: once in the database
 * they belong to the admins, and nothing here overwrites them.
 */
import {
  type FeatureKey,
  featureKeyName,
  featureKeyProduct,
  featureKeys,
  type FeatureName,
  type ProductType
} from "@cuebx/contract"
import { BigDecimal } from "effect"

export interface PricingRuleDefaults {
  readonly multiplier: BigDecimal.BigDecimal
  /** Credits per billing period. */
  readonly creditsAllocation: BigDecimal.BigDecimal
  /** `null` means unlimited. */
  readonly rateLimitPerMinute: number | null
  readonly rateLimitPerDay: number | null
}

const credits = (amount: number) => BigDecimal.fromBigInt(BigInt(amount))

const rule = (allocation: number, perMinute: number, perDay: number | null): PricingRuleDefaults => ({
  multiplier: credits(1),
  creditsAllocation: credits(allocation),
  rateLimitPerMinute: perMinute,
  rateLimitPerDay: perDay
})

export const pricingRuleDefaults: {
  readonly [Product in ProductType]: Readonly<Record<string, PricingRuleDefaults>>
} = {
  API: {
    "Free": rule(500, 10, 200),
    "Basic": rule(10_000, 60, 10_000),
    "Professional": rule(100_000, 300, null)
  },
  CAREER: {
    "Free": rule(100, 20, 500),
    "Plus Plan": rule(1_000, 30, 2_000),
    "Pro Plan": rule(5_000, 60, 10_000)
  }
}

export const defaultPricingRule = (product: ProductType, planName: string): PricingRuleDefaults | undefined =>
  Object.hasOwn(pricingRuleDefaults[product], planName) ? pricingRuleDefaults[product][planName] : undefined

// The model-heavy features cost twice as much, in both products.
const doubleCostFeatures: ReadonlySet<FeatureName> = new Set<FeatureName>([
  "career_path",
  "job_match",
  "generate_feedback",
  "feedback_analyzer",
  "reframe_feedback"
])

export interface FeatureCostDefault {
  readonly featureKey: FeatureKey
  readonly productType: ProductType
  readonly internalCostCredits: BigDecimal.BigDecimal
}

export const defaultFeatureCost = (featureKey: FeatureKey): FeatureCostDefault => ({
  featureKey,
  productType: featureKeyProduct(featureKey),
  internalCostCredits: credits(doubleCostFeatures.has(featureKeyName(featureKey)) ? 2 : 1)
})

export const featureCostDefaults: ReadonlyArray<FeatureCostDefault> = featureKeys.map(defaultFeatureCost)
