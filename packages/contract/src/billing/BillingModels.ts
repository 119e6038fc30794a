/**
 * Plans and subscriptions on the wire, with the reference's field names: amounts are decimal
 * strings (`BigDecimal` in code), instants ISO-8601 (`DateTime.Utc` in code), enums lowercase.
 */
import { Schema } from "effect"
import { Amount, Timestamp } from "../Ids.ts"

export const PlanType = Schema.Literals(["free", "paid"]).annotate({ identifier: "PlanType" })
export type PlanType = typeof PlanType.Type

export const SubscriptionStatus = Schema.Literals([
  "active",
  "past_due",
  "canceled",
  "incomplete",
  "incomplete_expired",
  "trialing",
  "unpaid",
  "paused"
]).annotate({ identifier: "SubscriptionStatus" })
export type SubscriptionStatus = typeof SubscriptionStatus.Type

export const PlanFeature = Schema.Struct({
  title: Schema.String,
  description: Schema.NullOr(Schema.String),
  value: Schema.NullOr(Schema.Union([Schema.String, Schema.Boolean])),
  category: Schema.NullOr(Schema.String)
}).annotate({ identifier: "FeatureResponse" })
export type PlanFeature = typeof PlanFeature.Type

export const PlanResponse = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  price: Amount,
  display_price: Schema.NullOr(Schema.String),
  seat_price: Amount,
  seat_display_price: Schema.NullOr(Schema.String),
  is_active: Schema.Boolean,
  trial_days: Schema.NullOr(Schema.Int),
  type: PlanType,
  features: Schema.Array(PlanFeature),
  max_seats: Schema.NullOr(Schema.Int).annotate({ description: "null means unlimited" }),
  min_seats: Schema.Int
}).annotate({ identifier: "PlanResponse" })
export type PlanResponse = typeof PlanResponse.Type

export const PlanListResponse = Schema.Struct({ plans: Schema.Array(PlanResponse) }).annotate({
  identifier: "PlanListResponse"
})

export const SubscriptionResponse = Schema.Struct({
  id: Schema.String,
  workspace_id: Schema.String,
  plan_id: Schema.String,
  status: SubscriptionStatus,
  seat_count: Schema.Int,
  current_period_start: Schema.NullOr(Timestamp),
  current_period_end: Schema.NullOr(Timestamp),
  cancel_at_period_end: Schema.Boolean,
  canceled_at: Schema.NullOr(Timestamp),
  credits_allocation: Amount,
  credits_used: Amount,
  plan: Schema.NullOr(PlanResponse)
}).annotate({ identifier: "SubscriptionResponse" })
export type SubscriptionResponse = typeof SubscriptionResponse.Type

export const CareerSubscriptionResponse = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  plan_id: Schema.String,
  status: SubscriptionStatus,
  current_period_start: Schema.NullOr(Timestamp),
  current_period_end: Schema.NullOr(Timestamp),
  cancel_at_period_end: Schema.Boolean,
  canceled_at: Schema.NullOr(Timestamp),
  plan: Schema.NullOr(PlanResponse)
}).annotate({ identifier: "CareerSubscriptionResponse" })
export type CareerSubscriptionResponse = typeof CareerSubscriptionResponse.Type
