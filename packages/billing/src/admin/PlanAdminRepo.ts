/**
 * The plan administration's SQL on `plans` and `plan_pricing_rules`: whole rows with their
 * Stripe product and prices, writes by id, and the name and rank checks of a product.
 */
import { ProductType } from "@cuebx/contract"
import { NumericColumn, TimestampColumn, UpperCaseEnum } from "@cuebx/db"
import { Context, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { PlanDefinition, PlanFeature } from "../Plans.ts"

export const BillingPeriodColumn = UpperCaseEnum(["month", "year"])

const stripeFields = {
  stripeProductId: Schema.NullOr(Schema.String),
  currency: Schema.String,
  billingPeriod: BillingPeriodColumn
}

/** A `plans` row as administrators see it. */
export const AdminPlan = Schema.Struct({
  id: Schema.String,
  ...PlanDefinition.fields,
  ...stripeFields,
  isDeleted: Schema.Boolean,
  createdAt: TimestampColumn,
  updatedAt: TimestampColumn
})
export type AdminPlan = typeof AdminPlan.Type

/** Every column an administrator (or the Stripe sync) writes. */
export const AdminPlanWrite = Schema.Struct({
  ...PlanDefinition.fields,
  ...stripeFields,
  features: Schema.fromJsonString(Schema.Array(PlanFeature))
})
export type AdminPlanWrite = typeof AdminPlanWrite.Type

export const PricingRuleWrite = Schema.Struct({
  planId: Schema.String,
  multiplier: NumericColumn,
  creditsAllocation: NumericColumn,
  rateLimitPerMinute: Schema.NullOr(Schema.Int),
  rateLimitPerDay: Schema.NullOr(Schema.Int)
})

export const PlanPricingRule = Schema.Struct({
  creditsAllocation: NumericColumn,
  rateLimitPerMinute: Schema.NullOr(Schema.Int),
  rateLimitPerDay: Schema.NullOr(Schema.Int)
})
export type PlanPricingRule = typeof PlanPricingRule.Type

const Clash = Schema.Struct({
  id: Schema.String,
  productType: ProductType,
  name: Schema.String,
  rank: Schema.Int
})

export class PlanAdminRepo extends Context.Service<PlanAdminRepo, {
  list(product: ProductType | undefined): Effect.Effect<ReadonlyArray<AdminPlan>>
  find(id: string): Effect.Effect<Option.Option<AdminPlan>>
  /** Another plan of the product with this name or rank (deleted ones keep theirs). */
  clashes(
    plan: { readonly id: string; readonly productType: ProductType; readonly name: string; readonly rank: number }
  ): Effect.Effect<ReadonlyArray<typeof Clash.Type>>
  insert(id: string, plan: AdminPlanWrite, rule: typeof PricingRuleWrite.Type): Effect.Effect<AdminPlan>
  update(id: string, plan: AdminPlanWrite): Effect.Effect<AdminPlan>
  softDelete(id: string): Effect.Effect<AdminPlan>
  pricingRule(planId: string): Effect.Effect<Option.Option<PlanPricingRule>>
}>()("@cuebx/billing/PlanAdminRepo") {
  static readonly layer = Layer.effect(
    PlanAdminRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const all = SqlSchema.findAll({
        Request: Schema.NullOr(ProductType),
        Result: AdminPlan,
        execute: (product) =>
          sql`
            SELECT * FROM plans ${product === null ? sql`` : sql`WHERE product_type = ${product}`}
            ORDER BY product_type, rank`
      })
      const byId = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: AdminPlan,
        execute: (id) => sql`SELECT * FROM plans WHERE id = ${id}`
      })
      const clashing = SqlSchema.findAll({
        Request: Clash,
        Result: Clash,
        execute: ({ id, name, productType, rank }) =>
          sql`
            SELECT id, product_type, name, rank FROM plans
            WHERE product_type = ${productType} AND (name = ${name} OR rank = ${rank}) AND id <> ${id}`
      })
      const insertPlan = SqlSchema.findOne({
        Request: Schema.Struct({ id: Schema.String, ...AdminPlanWrite.fields }),
        Result: AdminPlan,
        // The features' JSON text goes to the jsonb column as an untyped parameter, which PostgreSQL parses.
        execute: (row) => sql`INSERT INTO plans ${sql.insert(row)} RETURNING *`
      })
      const insertRule = SqlSchema.void({
        Request: PricingRuleWrite,
        execute: (rule) => sql`INSERT INTO plan_pricing_rules ${sql.insert(rule)} ON CONFLICT (plan_id) DO NOTHING`
      })
      const updatePlan = SqlSchema.findOne({
        Request: Schema.Struct({ id: Schema.String, plan: AdminPlanWrite }),
        Result: AdminPlan,
        execute: ({ id, plan }) => sql`UPDATE plans SET ${sql.update(plan)} WHERE id = ${id} RETURNING *`
      })
      const deletePlan = SqlSchema.findOne({
        Request: Schema.String,
        Result: AdminPlan,
        execute: (id) =>
          sql`
            UPDATE plans SET is_deleted = true, is_active = false, deleted_at = COALESCE(deleted_at, now())
            WHERE id = ${id} RETURNING *`
      })
      const ruleOf = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: PlanPricingRule,
        execute: (planId) =>
          sql`
            SELECT credits_allocation, rate_limit_per_minute, rate_limit_per_day FROM plan_pricing_rules
            WHERE plan_id = ${planId}`
      })
      return PlanAdminRepo.of({
        list: Effect.fn("PlanAdminRepo.list")(function*(product) {
          return yield* all(product ?? null)
        }, Effect.orDie),
        find: Effect.fn("PlanAdminRepo.find")(function*(id) {
          return yield* byId(id)
        }, Effect.orDie),
        clashes: Effect.fn("PlanAdminRepo.clashes")(function*(plan) {
          return yield* clashing(plan)
        }, Effect.orDie),
        insert: Effect.fn("PlanAdminRepo.insert")(function*(id, plan, rule) {
          const inserted = yield* insertPlan({ id, ...plan })
          yield* insertRule(rule)
          return inserted
        }, Effect.orDie),
        update: Effect.fn("PlanAdminRepo.update")(function*(id, plan) {
          return yield* updatePlan({ id, plan })
        }, Effect.orDie),
        softDelete: Effect.fn("PlanAdminRepo.softDelete")(function*(id) {
          return yield* deletePlan(id)
        }, Effect.orDie),
        pricingRule: Effect.fn("PlanAdminRepo.pricingRule")(function*(planId) {
          return yield* ruleOf(planId)
        }, Effect.orDie)
      })
    })
  )
}
