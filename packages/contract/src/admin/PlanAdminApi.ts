/**
 * Plan administration, behind the admin authentication of `/admin/api/dlq`: every plan of both
 * products with its Stripe product and prices. Creating a paid plan creates its Stripe product
 * and prices; changing an amount, the currency or the billing period creates new prices and
 * archives the old ones (Stripe prices are immutable); deleting hides the plan from new checkouts
 * and keeps its subscribers.
 */
import { BigDecimal, Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { PlanFeature, PlanType } from "../billing/BillingModels.ts"
import { ProductType } from "../billing/FeatureKeys.ts"
import { doc } from "../Docs.ts"
import { BadRequest, Conflict, NotFound, UpstreamFailed } from "../Errors.ts"
import { Amount, Timestamp, TrimmedText, Uuid } from "../Ids.ts"
import { AdminAuthentication } from "./AdminApi.ts"

export const BillingPeriod = Schema.Literals(["month", "year"]).annotate({ identifier: "BillingPeriod" })
export type BillingPeriod = typeof BillingPeriod.Type

const Money = Amount.check(
  Schema.makeFilter((amount: BigDecimal.BigDecimal) =>
    (!BigDecimal.isNegative(amount) && BigDecimal.equals(amount, BigDecimal.round(amount, { scale: 2 }))) ||
    "Input should be a non-negative amount with at most two decimals"
  )
)
const Currency = Schema.String.check(Schema.isPattern(/^[a-z]{3}$/)).annotate({
  description: "ISO 4217, lower case (e.g. `usd`)"
})
const Seats = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 }))

export const AdminPlanResponse = Schema.Struct({
  id: Schema.String,
  product_type: ProductType,
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  price: Amount,
  display_price: Schema.NullOr(Schema.String),
  seat_price: Amount,
  seat_display_price: Schema.NullOr(Schema.String),
  currency: Schema.String,
  billing_period: BillingPeriod,
  rank: Schema.Int,
  trial_days: Schema.NullOr(Schema.Int),
  type: PlanType,
  features: Schema.Array(PlanFeature),
  max_seats: Schema.NullOr(Schema.Int),
  min_seats: Schema.Int,
  is_active: Schema.Boolean,
  is_deleted: Schema.Boolean,
  stripe_product_id: Schema.NullOr(Schema.String),
  stripe_price_id: Schema.NullOr(Schema.String),
  seat_stripe_price_id: Schema.NullOr(Schema.String),
  created_at: Timestamp,
  updated_at: Timestamp
}).annotate({ identifier: "AdminPlanResponse" })
export type AdminPlanResponse = typeof AdminPlanResponse.Type

const editable = {
  name: TrimmedText(1, 128),
  description: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(2000)))),
  price: Money,
  display_price: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(64)))),
  seat_price: Schema.optionalKey(Money),
  seat_display_price: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(64)))),
  currency: Schema.optionalKey(Currency),
  billing_period: Schema.optionalKey(BillingPeriod),
  rank: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1000 })),
  trial_days: Schema.optionalKey(Schema.NullOr(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 730 })))),
  features: Schema.optionalKey(Schema.Array(PlanFeature)),
  max_seats: Schema.optionalKey(Schema.NullOr(Seats)),
  min_seats: Schema.optionalKey(Seats),
  is_active: Schema.optionalKey(Schema.Boolean)
}

const RateLimit = Schema.NullOr(Schema.Int.check(Schema.isGreaterThan(0)))

export const AdminPlanCreate = Schema.Struct({
  product_type: ProductType,
  type: PlanType,
  ...editable,
  credits_allocation: Schema.optionalKey(Money).annotate({ description: "Credits per period; 0 by default" }),
  rate_limit_per_minute: Schema.optionalKey(RateLimit).annotate({ description: "null (default) is unlimited" }),
  rate_limit_per_day: Schema.optionalKey(RateLimit).annotate({ description: "null (default) is unlimited" })
}).annotate({ identifier: "AdminPlanCreate" })
export type AdminPlanCreate = typeof AdminPlanCreate.Type

export const AdminPlanUpdate = Schema.Struct({
  name: Schema.optionalKey(editable.name),
  description: editable.description,
  price: Schema.optionalKey(editable.price),
  display_price: editable.display_price,
  seat_price: editable.seat_price,
  seat_display_price: editable.seat_display_price,
  currency: editable.currency,
  billing_period: editable.billing_period,
  rank: Schema.optionalKey(editable.rank),
  trial_days: editable.trial_days,
  features: editable.features,
  max_seats: editable.max_seats,
  min_seats: editable.min_seats,
  is_active: editable.is_active
}).annotate({ identifier: "AdminPlanUpdate" })
export type AdminPlanUpdate = typeof AdminPlanUpdate.Type

export const AdminPlanList = Schema.Struct({ plans: Schema.Array(AdminPlanResponse) }).annotate({
  identifier: "AdminPlanList"
})

const planId = { plan_id: Uuid }
const errors = [NotFound, BadRequest, Conflict, UpstreamFailed] as const

export class PlanAdminApi extends HttpApiGroup.make("adminPlans")
  .add(
    HttpApiEndpoint.get("adminListPlans", "/admin/api/plans", {
      query: { product_type: Schema.optionalKey(ProductType) },
      success: AdminPlanList
    }).annotateMerge(doc("Every plan", "Both products (or one), by product and rank, deleted ones included.")),
    HttpApiEndpoint.get("adminGetPlan", "/admin/api/plans/:plan_id", {
      params: planId,
      success: AdminPlanResponse,
      error: NotFound
    }).annotateMerge(doc("One plan", "With its Stripe product and price ids.")),
    HttpApiEndpoint.post("adminCreatePlan", "/admin/api/plans", {
      payload: AdminPlanCreate,
      success: AdminPlanResponse.pipe(HttpApiSchema.status(201)),
      error: errors
    }).annotateMerge(doc(
      "Create a plan",
      "A paid plan gets its Stripe product and prices (base, and seat when it has a seat price). A name or " +
        "rank taken in the product is 409."
    )),
    HttpApiEndpoint.patch("adminUpdatePlan", "/admin/api/plans/:plan_id", {
      params: planId,
      payload: AdminPlanUpdate,
      success: AdminPlanResponse,
      error: errors
    }).annotateMerge(doc(
      "Change a plan",
      "The Stripe product follows the name and description; a new amount, currency or billing period creates new " +
        "Stripe prices and archives the old ones. Existing subscribers keep their price until they change plan."
    )),
    HttpApiEndpoint.delete("adminDeletePlan", "/admin/api/plans/:plan_id", {
      params: planId,
      success: AdminPlanResponse,
      error: errors
    }).annotateMerge(doc(
      "Delete a plan",
      "A soft delete: hidden from the catalogue and from new checkouts, its Stripe product and prices archived; " +
        "existing subscribers keep it."
    ))
  )
  .middleware(AdminAuthentication)
  .annotateMerge(OpenApi.annotations({
    title: "Admin: plans",
    description: "The plan catalogue of both products and its Stripe products and prices. HTTP Basic."
  }))
{}
