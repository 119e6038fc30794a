/**
 * Usage's reads of the plan catalogue's prices (written by `cuebx sync-plans` and the admins):
 * every plan's pricing rule, every feature's cost, and the active plans, which must all have a
 * rule. Read whole: the catalogue is a few dozen rows.
 */
import { FeatureKeyColumn } from "@cuebx/billing"
import { NumericColumn } from "@cuebx/db"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const PricingRule = Schema.Struct({
  planId: Schema.String,
  multiplier: NumericColumn,
  creditsAllocation: NumericColumn,
  /** `null` means unlimited. */
  rateLimitPerMinute: Schema.NullOr(Schema.Int),
  rateLimitPerDay: Schema.NullOr(Schema.Int)
})
export type PricingRule = typeof PricingRule.Type

export const FeatureCost = Schema.Struct({
  featureKey: FeatureKeyColumn,
  internalCostCredits: NumericColumn
})
export type FeatureCost = typeof FeatureCost.Type

export const ActivePlan = Schema.Struct({ id: Schema.String, name: Schema.String, productType: Schema.String })
export type ActivePlan = typeof ActivePlan.Type

export interface PricingRows {
  readonly rules: ReadonlyArray<PricingRule>
  readonly costs: ReadonlyArray<FeatureCost>
  readonly activePlans: ReadonlyArray<ActivePlan>
}

export class PricingRepo extends Context.Service<PricingRepo, {
  readonly load: Effect.Effect<PricingRows>
}>()("@cuebx/usage/PricingRepo") {
  static readonly layer = Layer.effect(
    PricingRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rules = SqlSchema.findAll({
        Request: Schema.Void,
        Result: PricingRule,
        execute: () =>
          sql`
            SELECT plan_id, multiplier, credits_allocation, rate_limit_per_minute, rate_limit_per_day
            FROM plan_pricing_rules`
      })
      // A stored key this version does not know is skipped by decoding it leniently below.
      const costs = SqlSchema.findAll({
        Request: Schema.Void,
        Result: Schema.Struct({ featureKey: Schema.String, internalCostCredits: Schema.String }),
        execute: () => sql`SELECT feature_key, internal_cost_credits FROM feature_cost_configs`
      })
      const activePlans = SqlSchema.findAll({
        Request: Schema.Void,
        Result: ActivePlan,
        execute: () => sql`SELECT id, name, product_type FROM plans WHERE is_active AND NOT is_deleted`
      })
      const decodeCost = Schema.decodeUnknownOption(FeatureCost)
      return PricingRepo.of({
        load: Effect.gen(function*() {
          return {
            rules: yield* rules(),
            costs: (yield* costs()).flatMap((row) => {
              const decoded = decodeCost(row)
              return decoded._tag === "Some" ? [decoded.value] : []
            }),
            activePlans: yield* activePlans()
          }
        }).pipe(Effect.orDie, Effect.withSpan("PricingRepo.load"))
      })
    })
  )
}
