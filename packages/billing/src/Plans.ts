/**
 * Reads of the plan catalogue: the active plans of a product in tier order, one active plan of a
 * product, and a product's Free plan. `Plan` is the decoded `plans` row every billing read shares.
 * The catalogue is written by `PlanCatalogue` (sync-plans), never here.
 */
import { PlanType, ProductType } from "@cuebx/contract"
import { NumericColumn, UpperCaseEnum } from "@cuebx/db"
import { Context, Effect, Layer, Option, Schema, String } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

/** Stored as `'FREE'` / `'PAID'`; `"free"` / `"paid"` in code and on the wire. */
export const PlanTypeColumn = UpperCaseEnum(PlanType.literals)

export const PlanFeature = Schema.Struct({
  title: Schema.String,
  description: Schema.NullOr(Schema.String),
  value: Schema.NullOr(Schema.Union([Schema.String, Schema.Boolean])),
  category: Schema.NullOr(Schema.String)
})
export type PlanFeature = typeof PlanFeature.Type

/** A plan as the catalogue describes it: everything of a `plans` row but its id. */
export const PlanDefinition = Schema.Struct({
  productType: ProductType,
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  price: NumericColumn,
  displayPrice: Schema.NullOr(Schema.String),
  rank: Schema.Int,
  stripePriceId: Schema.NullOr(Schema.String),
  seatPrice: NumericColumn,
  seatDisplayPrice: Schema.NullOr(Schema.String),
  seatStripePriceId: Schema.NullOr(Schema.String),
  isActive: Schema.Boolean,
  trialDays: Schema.NullOr(Schema.Int),
  type: PlanTypeColumn,
  features: Schema.Array(PlanFeature),
  /** `null` means unlimited. */
  maxSeats: Schema.NullOr(Schema.Int),
  minSeats: Schema.Int
})
export type PlanDefinition = typeof PlanDefinition.Type

/** A `plans` row: prices are exact decimals, features the jsonb list with its four keys. */
export const Plan = Schema.Struct({ id: Schema.String, ...PlanDefinition.fields })
export type Plan = typeof Plan.Type

const numericFields: ReadonlySet<string> = new Set(["price", "seatPrice"])

/**
 * The `plans` row of `alias` as one jsonb value that decodes with `Plan`, for queries that read a
 * plan alongside another row (numerics as text, as the driver hands over numeric columns).
 */
export const planJson = (sql: SqlClient.SqlClient, alias: string) =>
  sql.literal(
    `jsonb_build_object(${
      Object.keys(Plan.fields).map((field) =>
        `'${field}', ${alias}.${String.camelToSnake(field)}${numericFields.has(field) ? "::text" : ""}`
      ).join(", ")
    })`
  )

/** Paid, active, not deleted, with a Stripe price to sell: the reference's "available for purchase". */
export const isPurchasable = (plan: Plan): boolean =>
  plan.type === "paid" && plan.isActive && (plan.stripePriceId !== null || plan.seatStripePriceId !== null)

/** No active plan with this id (of any product). */
export class PlanNotFound extends Schema.TaggedError<PlanNotFound>()("PlanNotFound", {
  planId: Schema.String,
  product: ProductType
}) {}

/** The plan exists and is active, but belongs to the other product. */
export class PlanOfOtherProduct extends Schema.TaggedError<PlanOfOtherProduct>()("PlanOfOtherProduct", {
  planId: Schema.String,
  product: ProductType
}) {}

export class Plans extends Context.Service<Plans, {
  /** Active plans of a product, lowest tier first. */
  listActive(product: ProductType): Effect.Effect<ReadonlyArray<Plan>>
  /** An active plan of `product`. */
  findActive(product: ProductType, planId: string): Effect.Effect<Plan, PlanNotFound | PlanOfOtherProduct>
  /** The product's active Free plan, if the catalogue has one. */
  freePlan(product: ProductType): Effect.Effect<Option.Option<Plan>>
  /** A plan whatever its state (inactive and deleted plans keep their subscribers). */
  byId(planId: string): Effect.Effect<Option.Option<Plan>>
  /** The plan of `product` whose base price is this Stripe price, whatever its state. */
  byStripePrice(product: ProductType, priceId: string): Effect.Effect<Option.Option<Plan>>
}>()("@cuebx/billing/Plans") {
  static readonly layer = Layer.effect(
    Plans,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const activeOf = SqlSchema.findAll({
        Request: ProductType,
        Result: Plan,
        execute: (product) =>
          sql`SELECT * FROM plans WHERE product_type = ${product} AND is_active AND NOT is_deleted ORDER BY rank`
      })
      const activeById = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Plan,
        execute: (id) => sql`SELECT * FROM plans WHERE id = ${id} AND is_active AND NOT is_deleted`
      })
      const freeOf = SqlSchema.findOneOption({
        Request: ProductType,
        Result: Plan,
        execute: (product) =>
          sql`
            SELECT * FROM plans
            WHERE product_type = ${product} AND type = 'FREE' AND is_active AND NOT is_deleted
            ORDER BY rank LIMIT 1`
      })

      const anyById = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Plan,
        execute: (id) => sql`SELECT * FROM plans WHERE id = ${id}`
      })
      const byPrice = SqlSchema.findOneOption({
        Request: Schema.Struct({ product: ProductType, priceId: Schema.String }),
        Result: Plan,
        execute: ({ priceId, product }) =>
          sql`
            SELECT * FROM plans WHERE product_type = ${product} AND stripe_price_id = ${priceId}
            ORDER BY is_deleted, is_active DESC LIMIT 1`
      })

      return Plans.of({
        listActive: Effect.fn("Plans.listActive")(function*(product) {
          return yield* activeOf(product)
        }, Effect.orDie),
        findActive: Effect.fn("Plans.findActive")(function*(product, planId) {
          const plan = yield* activeById(planId).pipe(Effect.orDie)
          if (Option.isNone(plan)) return yield* new PlanNotFound({ planId, product })
          if (plan.value.productType !== product) return yield* new PlanOfOtherProduct({ planId, product })
          return plan.value
        }),
        freePlan: Effect.fn("Plans.freePlan")(function*(product) {
          return yield* freeOf(product)
        }, Effect.orDie),
        byId: Effect.fn("Plans.byId")(function*(planId) {
          return yield* anyById(planId)
        }, Effect.orDie),
        byStripePrice: Effect.fn("Plans.byStripePrice")(function*(product, priceId) {
          return yield* byPrice({ product, priceId })
        }, Effect.orDie)
      })
    })
  )
}
