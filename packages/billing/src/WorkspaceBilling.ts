/**
 * Changes to a workspace's API subscription through Stripe: checkout, seats, cancellation,
 * reactivation, upgrade and its preview, the payments history and the customer portal. The
 * caller (the workspaces package) has authorised the user and, for changes, runs each call in a
 * transaction that locked the workspace; Stripe is called inside it, so a refusal changes nothing
 * here, and Stripe's answer is applied through `SubscriptionState` (the plan changes only once
 * Stripe confirmed the payment). Every mutating Stripe call has a key derived from its inputs and
 * the subscription's version (`updated_at`), so a retried request never changes Stripe twice.
 */
import { CallbackUrlSettings, isAllowedCallbackUrl } from "@cuebx/config"
import { Context, DateTime, Effect, Layer, Option } from "effect"
import { BillingWorkspaces, type MembersNotFound, type TooManyMembersToEnable } from "./BillingWorkspaces.ts"
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
  itemOf,
  MissingStripePrice,
  NoSeatPricing,
  type NoStripeSubscription,
  NothingToReactivate,
  PlanNotPurchasable,
  previewFigures,
  requireCurrent,
  requireStripeId,
  requireUpgrade,
  type SamePlan,
  SeatsBelowMembers,
  SeatsBelowReserved,
  SeatsOutOfBounds,
  type SubscriptionNotFound
} from "./SubscriptionChanges.ts"
import { Subscriptions, type WorkspaceHolding } from "./Subscriptions.ts"
import { SubscriptionState } from "./SubscriptionState.ts"

export interface CheckoutInput {
  readonly planId: string
  readonly seats: number
  readonly successUrl: string
  readonly cancelUrl: string
}

export interface CheckoutSession {
  readonly url: string
  readonly sessionId: string
}

type PlanLookupError = PlanNotFound | PlanOfOtherProduct
type UpgradeRefusal = SamePlan | DowngradeRefused

const seatBounds = (
  plan: { readonly minSeats: number; readonly maxSeats: number | null },
  seats: number,
  context: SeatsOutOfBounds["context"]
): Effect.Effect<void, SeatsOutOfBounds> =>
  seats < plan.minSeats
    ? Effect.fail(new SeatsOutOfBounds({ bound: "minimum", limit: plan.minSeats, seats, context }))
    : plan.maxSeats !== null && seats > plan.maxSeats
    ? Effect.fail(new SeatsOutOfBounds({ bound: "maximum", limit: plan.maxSeats, seats, context }))
    : Effect.void

/** The subscription's version: part of the idempotency key of every change to it. */
const version = (holding: WorkspaceHolding) => DateTime.toEpochMillis(holding.subscription.updatedAt)

export class WorkspaceBilling extends Context.Service<WorkspaceBilling, {
  checkout(
    userId: string,
    workspaceId: string,
    input: CheckoutInput
  ): Effect.Effect<
    CheckoutSession,
    PlanLookupError | PlanNotPurchasable | SeatsOutOfBounds | AlreadyPaid | StripeFailed
  >
  changeSeats(
    workspaceId: string,
    seats: number
  ): Effect.Effect<
    WorkspaceHolding,
    SubscriptionNotFound | SeatsOutOfBounds | SeatsBelowMembers | SeatsBelowReserved | NoSeatPricing | StripeError
  >
  cancel(
    workspaceId: string,
    atPeriodEnd: boolean
  ): Effect.Effect<WorkspaceHolding, SubscriptionNotFound | FreePlanNotCancelable | AlreadyCanceling | StripeFailed>
  reactivate(
    workspaceId: string,
    memberIds: ReadonlyArray<string>
  ): Effect.Effect<
    void,
    SubscriptionNotFound | NothingToReactivate | MembersNotFound | TooManyMembersToEnable | StripeFailed
  >
  previewChange(
    workspaceId: string,
    change: { readonly planId: string | undefined; readonly seats: number | undefined }
  ): Effect.Effect<
    ChangePreview,
    | SubscriptionNotFound
    | PlanLookupError
    | NoStripeSubscription
    | UpgradeRefusal
    | SeatsBelowMembers
    | SeatsOutOfBounds
    | MissingStripePrice
    | NoSeatPricing
    | StripeFailed
  >
  upgrade(
    workspaceId: string,
    planId: string
  ): Effect.Effect<
    WorkspaceHolding,
    | SubscriptionNotFound
    | NoStripeSubscription
    | PlanLookupError
    | UpgradeRefusal
    | SeatsOutOfBounds
    | MissingStripePrice
    | StripeError
  >
  payments(workspaceId: string, page: { readonly limit: number; readonly offset: number }): Effect.Effect<PaymentPage>
  portal(workspaceId: string, returnUrl: string): Effect.Effect<string, InvalidReturnUrl | StripeFailed>
}>()("@cuebx/billing/WorkspaceBilling") {
  static readonly layer = Layer.effect(
    WorkspaceBilling,
    Effect.gen(function*() {
      const plans = yield* Plans
      const subscriptions = yield* Subscriptions
      const state = yield* SubscriptionState
      const stripe = yield* StripeGateway
      const customers = yield* StripeCustomers
      const workspaces = yield* BillingWorkspaces
      const payments = yield* PaymentsRepo
      const callbackUrls = yield* CallbackUrlSettings

      const current = (workspaceId: string, wording: SubscriptionNotFound["wording"]) =>
        Effect.flatMap(subscriptions.currentOfWorkspace(workspaceId), (found) => requireCurrent(found, "API", wording))

      const customerOf = Effect.fnUntraced(function*(workspaceId: string) {
        const contact = yield* workspaces.contact(workspaceId)
        if (Option.isNone(contact)) return yield* Effect.die(`workspace ${workspaceId} has no owner to bill`)
        return yield* customers.ensure({
          type: "workspace",
          id: workspaceId,
          email: contact.value.ownerEmail,
          name: contact.value.workspaceName
        })
      })

      /** Applies Stripe's answer to our change and reads the workspace's subscription back. */
      const applied = Effect.fnUntraced(function*(
        workspaceId: string,
        answer: Parameters<typeof state.apply>[0]
      ) {
        const outcome = yield* state.apply(answer, { eventCreated: Option.none() }).pipe(Effect.orDie)
        const holding = outcome._tag === "Applied"
          ? yield* subscriptions.workspaceHoldingOf(outcome.subscription.id)
          : Option.none()
        if (Option.isNone(holding)) return yield* Effect.die(`no subscription for workspace ${workspaceId}`)
        return holding.value
      })

      return WorkspaceBilling.of({
        checkout: Effect.fn("WorkspaceBilling.checkout")(function*(userId, workspaceId, input) {
          const plan = yield* plans.findActive("API", input.planId)
          if (!isPurchasable(plan)) return yield* new PlanNotPurchasable({ planId: plan.id })
          yield* seatBounds(plan, input.seats, "plan")
          const existing = yield* subscriptions.currentOfWorkspace(workspaceId)
          if (Option.isSome(existing) && existing.value.plan.type === "paid") {
            return yield* new AlreadyPaid({ product: "API" })
          }
          const customer = yield* customerOf(workspaceId)
          const metadata = {
            workspace_id: workspaceId,
            plan_id: plan.id,
            seat_count: String(input.seats),
            product_type: "api"
          }
          const lineItems = [
            ...(plan.stripePriceId === null ? [] : [{ price: plan.stripePriceId, quantity: 1 }]),
            ...(plan.seatStripePriceId === null ? [] : [{ price: plan.seatStripePriceId, quantity: input.seats }])
          ]
          const session = yield* stripe.createCheckoutSession(
            {
              mode: "subscription",
              customer,
              success_url: input.successUrl,
              cancel_url: input.cancelUrl,
              line_items: lineItems,
              metadata,
              subscription_data: { metadata }
            },
            idempotencyKey("checkout", {
              ...metadata,
              userId,
              customer,
              successUrl: input.successUrl,
              cancelUrl: input.cancelUrl,
              replacing: Option.getOrNull(Option.map(existing, (holding) => holding.subscription.id))
            })
          )
          return { url: session.url ?? "", sessionId: session.id }
        }),
        changeSeats: Effect.fn("WorkspaceBilling.changeSeats")(function*(workspaceId, seats) {
          const holding = yield* current(workspaceId, "notFound")
          const { plan, subscription } = holding
          yield* seatBounds(plan, seats, "plan")
          const use = yield* workspaces.seatUse(workspaceId)
          if (seats < use.enabledMembers) {
            return yield* new SeatsBelowMembers({ seats, enabledMembers: use.enabledMembers })
          }
          if (seats < use.enabledMembers + use.pendingInvitations) {
            return yield* new SeatsBelowReserved({ seats, pendingInvitations: use.pendingInvitations })
          }
          if (subscription.stripeSubscriptionId === null || seats === subscription.seatCount) return holding
          if (plan.seatStripePriceId === null) return yield* new NoSeatPricing({ planId: plan.id })
          const stripeSubscription = yield* stripe.retrieveSubscription(subscription.stripeSubscriptionId)
          const seatItem = itemOf(stripeSubscription, plan.seatStripePriceId)
          const increase = seats > subscription.seatCount
          const answer = yield* stripe.updateSubscription(
            subscription.stripeSubscriptionId,
            {
              items: [
                seatItem === undefined
                  ? { price: plan.seatStripePriceId, quantity: seats }
                  : { id: seatItem.id, quantity: seats }
              ],
              // More seats are charged now; fewer are credited on the next invoice.
              proration_behavior: increase ? "always_invoice" : "create_prorations",
              ...(increase ? { payment_behavior: "error_if_incomplete" as const } : {})
            },
            idempotencyKey("seats", {
              subscription: subscription.stripeSubscriptionId,
              seats,
              version: version(holding),
              attempt: increase ? yield* chargeAttempt : null
            })
          )
          return yield* applied(workspaceId, answer)
        }),
        cancel: Effect.fn("WorkspaceBilling.cancel")(function*(workspaceId, atPeriodEnd) {
          const holding = yield* current(workspaceId, "notFound")
          const stripeId = holding.subscription.stripeSubscriptionId
          if (stripeId === null || holding.plan.type === "free") {
            return yield* new FreePlanNotCancelable({ product: "API" })
          }
          const key = idempotencyKey("cancel", { subscription: stripeId, atPeriodEnd, version: version(holding) })
          if (atPeriodEnd) {
            if (holding.subscription.cancelAtPeriodEnd) {
              return yield* new AlreadyCanceling({ subscriptionId: holding.subscription.id })
            }
            return yield* applied(
              workspaceId,
              yield* noCardErrors(stripe.updateSubscription(
                stripeId,
                { cancel_at_period_end: true, proration_behavior: "none" },
                key
              ))
            )
          }
          return yield* applied(workspaceId, yield* stripe.cancelSubscription(stripeId, key))
        }),
        reactivate: Effect.fn("WorkspaceBilling.reactivate")(function*(workspaceId, memberIds) {
          const workspace = yield* workspaces.lock(workspaceId)
          const holding = yield* current(workspaceId, "noActive")
          const stripeId = holding.subscription.stripeSubscriptionId
          const canceling = holding.subscription.cancelAtPeriodEnd && stripeId !== null
          const frozen = Option.exists(workspace, (found) => found.frozen)
          if (!frozen && !canceling && memberIds.length === 0) return yield* new NothingToReactivate({ workspaceId })
          yield* workspaces.enableMembers(workspaceId, memberIds, holding.subscription.seatCount)
          if (canceling) {
            yield* applied(
              workspaceId,
              yield* noCardErrors(stripe.updateSubscription(
                stripeId,
                { cancel_at_period_end: false },
                idempotencyKey("reactivate", { subscription: stripeId, version: version(holding) })
              ))
            )
          }
        }),
        previewChange: Effect.fn("WorkspaceBilling.previewChange")(function*(workspaceId, change) {
          const holding = yield* current(workspaceId, "notFound")
          const target = change.planId === undefined ? undefined : yield* plans.findActive("API", change.planId)
          const stripeId = yield* requireStripeId(holding)
          const { plan, subscription } = holding
          if (target !== undefined) yield* requireUpgrade(plan, target)
          if (change.seats !== undefined) {
            const use = yield* workspaces.seatUse(workspaceId)
            if (change.seats < use.enabledMembers) {
              return yield* new SeatsBelowMembers({ seats: change.seats, enabledMembers: use.enabledMembers })
            }
          }
          if (target === undefined) {
            yield* seatBounds(plan, change.seats ?? subscription.seatCount, "newForCurrent")
            if (plan.seatStripePriceId === null) return yield* new NoSeatPricing({ planId: plan.id })
          } else {
            yield* seatBounds(
              target,
              change.seats ?? subscription.seatCount,
              change.seats === undefined ? "currentForTarget" : "newForTarget"
            )
            if (target.stripePriceId === null) return yield* new MissingStripePrice({ which: "targetBase" })
            if (plan.seatStripePriceId === null && target.seatStripePriceId !== null) {
              return yield* new MissingStripePrice({ which: "currentSeat" })
            }
          }
          const newSeats = change.seats ?? subscription.seatCount
          const stripeSubscription = yield* stripe.retrieveSubscription(stripeId)
          const base = baseItemOf(stripeSubscription, plan)
          const seatItem = itemOf(stripeSubscription, plan.seatStripePriceId)
          const seatPrice = target?.seatStripePriceId ?? plan.seatStripePriceId
          const items = [
            ...(target?.stripePriceId != null && base !== undefined
              ? [{ id: base.id, price: target.stripePriceId, quantity: base.quantity }]
              : []),
            ...(seatPrice === null
              ? []
              : [
                seatItem === undefined
                  ? { price: seatPrice, quantity: newSeats }
                  : { id: seatItem.id, price: seatPrice, quantity: newSeats }
              ])
          ]
          const invoice = yield* stripe.previewInvoice({
            customer: stripeSubscription.customer,
            subscription: stripeId,
            subscription_details: {
              items,
              proration_behavior: target !== undefined || newSeats > subscription.seatCount
                ? "always_invoice"
                : "create_prorations"
            }
          })
          return {
            currentPlan: plan,
            newPlan: target ?? plan,
            currentSeats: subscription.seatCount,
            newSeats,
            ...previewFigures(invoice),
            billingPeriodEnd: subscription.currentPeriodEnd
          }
        }),
        upgrade: Effect.fn("WorkspaceBilling.upgrade")(function*(workspaceId, planId) {
          const holding = yield* current(workspaceId, "noActive")
          const stripeId = yield* requireStripeId(holding)
          const target = yield* plans.findActive("API", planId)
          const { plan, subscription } = holding
          yield* requireUpgrade(plan, target)
          yield* seatBounds(target, subscription.seatCount, "currentForTarget")
          if (plan.stripePriceId === null) return yield* new MissingStripePrice({ which: "currentBase" })
          if (target.stripePriceId === null) return yield* new MissingStripePrice({ which: "targetBase" })
          if (plan.seatStripePriceId === null && target.seatStripePriceId !== null) {
            return yield* new MissingStripePrice({ which: "currentSeat" })
          }
          if (plan.seatStripePriceId !== null && target.seatStripePriceId === null) {
            return yield* new MissingStripePrice({ which: "targetSeat" })
          }
          const stripeSubscription = yield* stripe.retrieveSubscription(stripeId)
          const base = baseItemOf(stripeSubscription, plan)
          const seatItem = itemOf(stripeSubscription, plan.seatStripePriceId)
          const answer = yield* stripe.updateSubscription(
            stripeId,
            {
              items: [
                ...(base === undefined ? [] : [{ id: base.id, price: target.stripePriceId }]),
                ...(seatItem === undefined || target.seatStripePriceId === null
                  ? []
                  : [{ id: seatItem.id, price: target.seatStripePriceId, quantity: subscription.seatCount }])
              ],
              // Charged now; refused (and nothing changes) unless the payment goes through.
              proration_behavior: "always_invoice",
              payment_behavior: "error_if_incomplete"
            },
            idempotencyKey("upgrade", {
              subscription: stripeId,
              from: plan.id,
              to: target.id,
              version: version(holding),
              attempt: yield* chargeAttempt
            })
          )
          return yield* applied(workspaceId, answer)
        }),
        payments: Effect.fn("WorkspaceBilling.payments")(function*(workspaceId, page) {
          return yield* payments.page("API", workspaceId, page.limit, page.offset)
        }),
        portal: Effect.fn("WorkspaceBilling.portal")(function*(workspaceId, returnUrl) {
          if (!isAllowedCallbackUrl(returnUrl, callbackUrls)) return yield* new InvalidReturnUrl({ returnUrl })
          const customer = yield* customerOf(workspaceId)
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
