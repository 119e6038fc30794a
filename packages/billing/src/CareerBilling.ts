/**
 * Changes to the signed-in user's Career subscription through Stripe: checkout, upgrade and its
 * preview, cancellation, the payments history and the customer portal. Each change holds the
 * user's Career lock, calls Stripe inside the transaction (a refusal changes nothing) and applies
 * Stripe's answer through `SubscriptionState`, with keys derived from the inputs and the
 * subscription's version.
 */
import { CallbackUrlSettings, isAllowedCallbackUrl } from "@cuebx/config"
import { transactionWith } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { StripeCustomers } from "./customers/StripeCustomers.ts"
import { type PaymentPage, PaymentsRepo } from "./PaymentsRepo.ts"
import { isPurchasable, type PlanNotFound, type PlanOfOtherProduct, Plans } from "./Plans.ts"
import {
  idempotencyKey,
  noCardErrors,
  type StripeError,
  type StripeFailed,
  StripeGateway
} from "./stripe/StripeGateway.ts"
import {
  AlreadyCanceling,
  AlreadyPaid,
  baseItemOf,
  type ChangePreview,
  chargeAttempt,
  type DowngradeRefused,
  FreePlanNotCancelable,
  InvalidReturnUrl,
  MissingStripePrice,
  type NoStripeSubscription,
  PlanNotPurchasable,
  previewFigures,
  requireCurrent,
  requireStripeId,
  requireUpgrade,
  type SamePlan,
  type SubscriptionNotFound
} from "./SubscriptionChanges.ts"
import { type CareerHolding, Subscriptions } from "./Subscriptions.ts"
import { SubscriptionsRepo } from "./SubscriptionsRepo.ts"
import { SubscriptionState } from "./SubscriptionState.ts"
import type { CheckoutSession } from "./WorkspaceBilling.ts"

export interface CareerCustomer {
  readonly id: string
  readonly email: string
  readonly fullName: string | null
}

type PlanLookupError = PlanNotFound | PlanOfOtherProduct

/** The subscription's version: part of the idempotency key of every change to it. */
const version = (holding: CareerHolding) => DateTime.toEpochMillis(holding.subscription.updatedAt)

export class CareerBilling extends Context.Service<CareerBilling, {
  checkout(
    user: CareerCustomer,
    input: { readonly planId: string; readonly successUrl: string; readonly cancelUrl: string }
  ): Effect.Effect<CheckoutSession, PlanLookupError | PlanNotPurchasable | AlreadyPaid | StripeFailed>
  previewUpgrade(
    userId: string,
    planId: string
  ): Effect.Effect<
    ChangePreview,
    | SubscriptionNotFound
    | PlanLookupError
    | NoStripeSubscription
    | SamePlan
    | DowngradeRefused
    | MissingStripePrice
    | StripeFailed
  >
  upgrade(
    userId: string,
    planId: string
  ): Effect.Effect<
    CareerHolding,
    | SubscriptionNotFound
    | NoStripeSubscription
    | PlanLookupError
    | SamePlan
    | DowngradeRefused
    | MissingStripePrice
    | StripeError
  >
  /** Returns when the subscription ends: at the end of the period, or now (back on the Free plan). */
  cancel(
    userId: string,
    atPeriodEnd: boolean
  ): Effect.Effect<
    "atPeriodEnd" | "now",
    SubscriptionNotFound | FreePlanNotCancelable | AlreadyCanceling | StripeFailed
  >
  payments(userId: string, page: { readonly limit: number; readonly offset: number }): Effect.Effect<PaymentPage>
  portal(user: CareerCustomer, returnUrl: string): Effect.Effect<string, InvalidReturnUrl | StripeFailed>
}>()("@cuebx/billing/CareerBilling") {
  static readonly layer = Layer.effect(
    CareerBilling,
    Effect.gen(function*() {
      const inTransaction = transactionWith(yield* SqlClient.SqlClient)
      const plans = yield* Plans
      const subscriptions = yield* Subscriptions
      const repo = yield* SubscriptionsRepo
      const state = yield* SubscriptionState
      const stripe = yield* StripeGateway
      const customers = yield* StripeCustomers
      const payments = yield* PaymentsRepo
      const callbackUrls = yield* CallbackUrlSettings

      const current = (userId: string, wording: SubscriptionNotFound["wording"]) =>
        Effect.flatMap(subscriptions.currentOfUser(userId), (found) => requireCurrent(found, "CAREER", wording))

      const customerOf = (user: CareerCustomer) =>
        customers.ensure({ type: "user", id: user.id, email: user.email, name: user.fullName })

      /** Applies Stripe's answer to our change and reads the subscription back. */
      const applied = Effect.fnUntraced(function*(userId: string, answer: Parameters<typeof state.apply>[0]) {
        const outcome = yield* state.apply(answer, { eventCreated: Option.none() }).pipe(Effect.orDie)
        const holding = outcome._tag === "Applied"
          ? yield* subscriptions.careerHoldingOf(outcome.subscription.id)
          : Option.none()
        if (Option.isNone(holding)) return yield* Effect.die(`no Career subscription for user ${userId}`)
        return holding.value
      })

      /** The upgrade's plans, checked in the reference's order. */
      const upgradeTarget = Effect.fnUntraced(function*(holding: CareerHolding, planId: string) {
        const target = yield* plans.findActive("CAREER", planId)
        yield* requireUpgrade(holding.plan, target)
        if (target.stripePriceId === null) return yield* new MissingStripePrice({ which: "targetBase" })
        return { target, priceId: target.stripePriceId }
      })

      return CareerBilling.of({
        checkout: Effect.fn("CareerBilling.checkout")(function*(user, input) {
          const plan = yield* plans.findActive("CAREER", input.planId)
          if (!isPurchasable(plan) || plan.stripePriceId === null) {
            return yield* new PlanNotPurchasable({ planId: plan.id })
          }
          const existing = yield* subscriptions.currentOfUser(user.id)
          if (Option.isSome(existing) && existing.value.plan.type === "paid") {
            return yield* new AlreadyPaid({ product: "CAREER" })
          }
          const customer = yield* customerOf(user)
          const metadata = { user_id: user.id, plan_id: plan.id, product_type: "career" }
          const session = yield* stripe.createCheckoutSession(
            {
              mode: "subscription",
              customer,
              success_url: input.successUrl,
              cancel_url: input.cancelUrl,
              line_items: [{ price: plan.stripePriceId, quantity: 1 }],
              metadata,
              subscription_data: { metadata }
            },
            idempotencyKey("career-checkout", {
              ...metadata,
              customer,
              successUrl: input.successUrl,
              cancelUrl: input.cancelUrl,
              replacing: Option.getOrNull(Option.map(existing, (holding) => holding.subscription.id))
            })
          )
          return { url: session.url ?? "", sessionId: session.id }
        }),
        previewUpgrade: Effect.fn("CareerBilling.previewUpgrade")(function*(userId, planId) {
          const holding = yield* current(userId, "notFound")
          yield* plans.findActive("CAREER", planId)
          const stripeId = yield* requireStripeId(holding)
          const { priceId, target } = yield* upgradeTarget(holding, planId)
          const stripeSubscription = yield* stripe.retrieveSubscription(stripeId)
          const base = baseItemOf(stripeSubscription, holding.plan)
          const invoice = yield* stripe.previewInvoice({
            customer: stripeSubscription.customer,
            subscription: stripeId,
            subscription_details: {
              items: base === undefined ? [] : [{ id: base.id, price: priceId, quantity: 1 }],
              proration_behavior: "always_invoice"
            }
          })
          return {
            currentPlan: holding.plan,
            newPlan: target,
            currentSeats: 1,
            newSeats: 1,
            ...previewFigures(invoice),
            billingPeriodEnd: holding.subscription.currentPeriodEnd
          }
        }),
        upgrade: Effect.fn("CareerBilling.upgrade")(function*(userId, planId) {
          return yield* inTransaction(Effect.gen(function*() {
            yield* repo.lockCareerOf(userId)
            const holding = yield* current(userId, "noActive")
            const stripeId = yield* requireStripeId(holding)
            const { priceId, target } = yield* upgradeTarget(holding, planId)
            const stripeSubscription = yield* stripe.retrieveSubscription(stripeId)
            const base = baseItemOf(stripeSubscription, holding.plan)
            const answer = yield* stripe.updateSubscription(
              stripeId,
              {
                items: base === undefined ? [] : [{ id: base.id, price: priceId, quantity: 1 }],
                proration_behavior: "always_invoice",
                payment_behavior: "error_if_incomplete"
              },
              idempotencyKey("career-upgrade", {
                subscription: stripeId,
                from: holding.plan.id,
                to: target.id,
                version: version(holding),
                attempt: yield* chargeAttempt
              })
            )
            return yield* applied(userId, answer)
          }))
        }),
        cancel: Effect.fn("CareerBilling.cancel")(function*(userId, atPeriodEnd) {
          return yield* inTransaction(Effect.gen(function*() {
            yield* repo.lockCareerOf(userId)
            const holding = yield* current(userId, "notFound")
            const stripeId = holding.subscription.stripeSubscriptionId
            if (stripeId === null || holding.plan.type === "free") {
              return yield* new FreePlanNotCancelable({ product: "CAREER" })
            }
            const key = idempotencyKey("career-cancel", {
              subscription: stripeId,
              atPeriodEnd,
              version: version(holding)
            })
            if (atPeriodEnd) {
              if (holding.subscription.cancelAtPeriodEnd) {
                return yield* new AlreadyCanceling({ subscriptionId: holding.subscription.id })
              }
              yield* applied(
                userId,
                yield* noCardErrors(stripe.updateSubscription(
                  stripeId,
                  { cancel_at_period_end: true, proration_behavior: "none" },
                  key
                ))
              )
              return "atPeriodEnd" as const
            }
            yield* applied(userId, yield* stripe.cancelSubscription(stripeId, key))
            return "now" as const
          }))
        }),
        payments: Effect.fn("CareerBilling.payments")(function*(userId, page) {
          return yield* payments.page("CAREER", userId, page.limit, page.offset)
        }),
        portal: Effect.fn("CareerBilling.portal")(function*(user, returnUrl) {
          if (!isAllowedCallbackUrl(returnUrl, callbackUrls)) return yield* new InvalidReturnUrl({ returnUrl })
          const customer = yield* customerOf(user)
          const session = yield* stripe.createPortalSession(
            { customer, return_url: returnUrl },
            idempotencyKey("portal", { customer, returnUrl, attempt: yield* chargeAttempt })
          )
          return session.url
        })
      })
    })
  )
}
