/**
 * Handlers of the signed-in user's Career subscription changes: checkout, upgrade and its
 * preview, cancellation, payments and the customer portal.
 */
import { CuebxApi, CurrentUser } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CareerBilling } from "../CareerBilling.ts"
import { billingErrorToWire } from "./BillingErrors.ts"
import { careerPreviewResponse, careerSubscriptionResponse, paymentPageResponse } from "./BillingResponses.ts"

export const careerMessages = {
  canceledAtPeriodEnd: "Subscription will be cancelled at end of billing period.",
  canceledNow: "Subscription has been cancelled immediately."
} as const

const defaultPageSize = 20

const customer = (user: CurrentUser["Service"]) => ({ id: user.id, email: user.email, fullName: user.fullName })

export const CareerBillingHttp = HttpApiBuilder.group(
  CuebxApi,
  "careerBilling",
  Effect.fn(function*(handlers) {
    const billing = yield* CareerBilling
    return handlers
      .handle("createCareerCheckout", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const session = yield* billing.checkout(customer(user), {
            planId: payload.plan_id,
            successUrl: payload.success_url,
            cancelUrl: payload.cancel_url
          })
          return { checkout_url: session.url, session_id: session.sessionId }
        }).pipe(Effect.mapError(billingErrorToWire)))
      .handle("previewCareerUpgrade", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return careerPreviewResponse(yield* billing.previewUpgrade(user.id, payload.new_plan_id))
        }).pipe(Effect.mapError(billingErrorToWire)))
      .handle("upgradeCareerPlan", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return careerSubscriptionResponse(yield* billing.upgrade(user.id, payload.new_plan_id))
        }).pipe(Effect.mapError(billingErrorToWire)))
      .handle("cancelCareerSubscription", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const when = yield* billing.cancel(user.id, payload.cancel_at_period_end ?? true)
          return {
            message: when === "atPeriodEnd" ? careerMessages.canceledAtPeriodEnd : careerMessages.canceledNow,
            success: true
          }
        }).pipe(Effect.mapError(billingErrorToWire)))
      .handle("listCareerPayments", ({ query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const limit = query.limit ?? defaultPageSize
          const offset = query.offset ?? 0
          return paymentPageResponse(yield* billing.payments(user.id, { limit, offset }), limit, offset)
        }))
      .handle("createCareerPortal", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return { url: yield* billing.portal(customer(user), payload.return_url) }
        }).pipe(Effect.mapError(billingErrorToWire)))
  })
)
