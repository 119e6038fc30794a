/**
 * Handlers of the plan administration (`/admin/api/plans`): wire bodies to billing's `PlanAdmin`
 * and back, its errors through billing's table. The admin authentication is the group's.
 */
import { type AdminPlan, billingErrorToWire, type NewPlan, PlanAdmin, type PlanFields } from "@cuebx/billing"
import { type AdminPlanCreate, type AdminPlanResponse, type AdminPlanUpdate, CuebxApi } from "@cuebx/contract"
import { BigDecimal, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"

export const adminPlanResponse = (plan: AdminPlan): AdminPlanResponse => ({
  id: plan.id,
  product_type: plan.productType,
  name: plan.name,
  description: plan.description,
  price: plan.price,
  display_price: plan.displayPrice,
  seat_price: plan.seatPrice,
  seat_display_price: plan.seatDisplayPrice,
  currency: plan.currency,
  billing_period: plan.billingPeriod,
  rank: plan.rank,
  trial_days: plan.trialDays,
  type: plan.type,
  features: plan.features,
  max_seats: plan.maxSeats,
  min_seats: plan.minSeats,
  is_active: plan.isActive,
  is_deleted: plan.isDeleted,
  stripe_product_id: plan.stripeProductId,
  stripe_price_id: plan.stripePriceId,
  seat_stripe_price_id: plan.seatStripePriceId,
  created_at: plan.createdAt,
  updated_at: plan.updatedAt
})

const zero = BigDecimal.fromBigInt(0n)

/** A new plan from the admin API's body (the panel's form decodes to the same), with its defaults. */
export const newPlanOf = (payload: AdminPlanCreate): NewPlan => ({
  productType: payload.product_type,
  type: payload.type,
  name: payload.name,
  description: payload.description ?? null,
  price: payload.price,
  displayPrice: payload.display_price ?? null,
  seatPrice: payload.seat_price ?? zero,
  seatDisplayPrice: payload.seat_display_price ?? null,
  currency: payload.currency ?? "usd",
  billingPeriod: payload.billing_period ?? "month",
  rank: payload.rank,
  trialDays: payload.trial_days ?? null,
  features: payload.features ?? [],
  maxSeats: payload.max_seats ?? null,
  minSeats: payload.min_seats ?? 1,
  isActive: payload.is_active ?? true,
  creditsAllocation: payload.credits_allocation ?? zero,
  rateLimitPerMinute: payload.rate_limit_per_minute ?? null,
  rateLimitPerDay: payload.rate_limit_per_day ?? null
})

/** Only the fields the request carries. */
export const planChangesOf = (update: AdminPlanUpdate): Partial<PlanFields> => ({
  ...(update.name === undefined ? {} : { name: update.name }),
  ...(update.description === undefined ? {} : { description: update.description }),
  ...(update.price === undefined ? {} : { price: update.price }),
  ...(update.display_price === undefined ? {} : { displayPrice: update.display_price }),
  ...(update.seat_price === undefined ? {} : { seatPrice: update.seat_price }),
  ...(update.seat_display_price === undefined ? {} : { seatDisplayPrice: update.seat_display_price }),
  ...(update.currency === undefined ? {} : { currency: update.currency }),
  ...(update.billing_period === undefined ? {} : { billingPeriod: update.billing_period }),
  ...(update.rank === undefined ? {} : { rank: update.rank }),
  ...(update.trial_days === undefined ? {} : { trialDays: update.trial_days }),
  ...(update.features === undefined ? {} : { features: update.features }),
  ...(update.max_seats === undefined ? {} : { maxSeats: update.max_seats }),
  ...(update.min_seats === undefined ? {} : { minSeats: update.min_seats }),
  ...(update.is_active === undefined ? {} : { isActive: update.is_active })
})

export const PlansAdminHttp = HttpApiBuilder.group(
  CuebxApi,
  "adminPlans",
  Effect.fn(function*(handlers) {
    const admin = yield* PlanAdmin
    return handlers
      .handle(
        "adminListPlans",
        ({ query }) => Effect.map(admin.list(query.product_type), (plans) => ({ plans: plans.map(adminPlanResponse) }))
      )
      .handle(
        "adminGetPlan",
        ({ params }) =>
          admin.get(params.plan_id).pipe(Effect.map(adminPlanResponse), Effect.mapError(billingErrorToWire))
      )
      .handle(
        "adminCreatePlan",
        ({ payload }) =>
          admin.create(newPlanOf(payload)).pipe(Effect.map(adminPlanResponse), Effect.mapError(billingErrorToWire))
      )
      .handle("adminUpdatePlan", ({ params, payload }) =>
        admin.update(params.plan_id, planChangesOf(payload)).pipe(
          Effect.map(adminPlanResponse),
          Effect.mapError(billingErrorToWire)
        ))
      .handle(
        "adminDeletePlan",
        ({ params }) =>
          admin.remove(params.plan_id).pipe(Effect.map(adminPlanResponse), Effect.mapError(billingErrorToWire))
      )
  })
)
