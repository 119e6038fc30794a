/**
 * The worker's handlers of the four Stripe queues. Each applies its event once (the consumer
 * runtime runs a handler once per message, and the event's log row, locked here, records that it
 * was processed) by fetching the current object from Stripe and applying it through
 * `SubscriptionState`, so deliveries in any order converge on Stripe's state; events older than
 * the last one applied are skipped. Paid invoices are recorded as payments; failed ones email the
 * owner. Stripe failing is retried through the retry queue; an event CueBX cannot attribute goes
 * to the dead letters at once.
 */
import { Outbox, PermanentFailure, type QueueHandler, queueHandler } from "@cuebx/broker"
import { PaymentFailedMessage } from "@cuebx/email"
import { BigDecimal, DateTime, Effect, Option } from "effect"
import { BillingContacts } from "../BillingContacts.ts"
import { PaymentsRepo } from "../PaymentsRepo.ts"
import { Plans } from "../Plans.ts"
import { StripeGateway } from "../stripe/StripeGateway.ts"
import type { StripeInvoice } from "../stripe/StripeObjects.ts"
import { SubscriptionsRepo } from "../SubscriptionsRepo.ts"
import { type ApplyOutcome, productNames, SubscriptionState } from "../SubscriptionState.ts"
import {
  StripeCheckoutCompletedMessage,
  type StripeEventPayload,
  StripePaymentFailedMessage,
  StripeSubscriptionDeletedMessage,
  StripeSubscriptionUpdatedMessage
} from "./StripeEventMessages.ts"
import { type EventOutcome, StripeEventsRepo } from "./StripeEventsRepo.ts"

type Services =
  | StripeGateway
  | SubscriptionState
  | SubscriptionsRepo
  | StripeEventsRepo
  | PaymentsRepo
  | Plans
  | BillingContacts
  | Outbox

const eventCreated = (payload: StripeEventPayload) =>
  Option.map(Option.fromNullOr(payload.event_created), (seconds) => DateTime.makeUnsafe(seconds * 1000))

/** Runs `work` once per event, recording the outcome on the event's log row. */
const once = <E, R>(payload: StripeEventPayload, work: Effect.Effect<EventOutcome, E, R>) =>
  Effect.gen(function*() {
    const events = yield* StripeEventsRepo
    if ((yield* events.claim(payload.event_id)) === "processed") {
      return yield* Effect.logInfo("Stripe event already processed", { event_id: payload.event_id })
    }
    const outcome = yield* work
    yield* events.markProcessed(payload.event_id, outcome, yield* DateTime.now)
    yield* Effect.logInfo("Stripe event processed", {
      event_id: payload.event_id,
      event_type: payload.event_type,
      outcome
    })
  })

/** Fetches the subscription from Stripe and applies it; attribution failures are permanent. */
const syncSubscription = (stripeSubscriptionId: string, payload: StripeEventPayload) =>
  Effect.gen(function*() {
    const stripe = yield* StripeGateway
    const state = yield* SubscriptionState
    const subscription = yield* stripe.retrieveSubscription(stripeSubscriptionId)
    const fallbackMetadata = Object.fromEntries(
      Object.entries({
        workspace_id: payload.workspace_id,
        user_id: payload.user_id,
        plan_id: payload.plan_id,
        seat_count: payload.seat_count === null ? null : String(payload.seat_count),
        product_type: payload.product_type
      }).filter((entry): entry is [string, string] => entry[1] !== null)
    )
    return yield* state.apply(subscription, { eventCreated: eventCreated(payload), fallbackMetadata }).pipe(
      Effect.catchTags({
        UnattributableSubscription: (error) =>
          Effect.fail(
            new PermanentFailure({ reason: `Stripe subscription ${error.stripeSubscriptionId} has no CueBX owner` })
          ),
        UnknownStripePlan: (error) =>
          Effect.fail(
            new PermanentFailure({ reason: `Stripe subscription ${error.stripeSubscriptionId} matches no CueBX plan` })
          )
      })
    )
  })

const outcomeOf = (applied: ApplyOutcome): EventOutcome => applied._tag === "Applied" ? "applied" : "stale"

const recordPayment = (invoice: StripeInvoice, stripeSubscriptionId: string) =>
  Effect.gen(function*() {
    if (invoice.id === null || invoice.status !== "paid" || invoice.amount_paid <= 0) return
    const local = yield* (yield* SubscriptionsRepo).findByStripeId(stripeSubscriptionId)
    if (Option.isNone(local) || local.value.ownerId === null) return
    yield* (yield* PaymentsRepo).record({
      subscriptionId: local.value.id,
      productType: local.value.productType,
      ownerId: local.value.ownerId,
      provider: "stripe",
      providerInvoiceId: invoice.id,
      amount: BigDecimal.make(BigInt(invoice.amount_paid), 2),
      currency: invoice.currency,
      status: "succeeded",
      billingReason: invoice.billing_reason,
      periodStart: invoice.period_start,
      periodEnd: invoice.period_end,
      hostedInvoiceUrl: invoice.hosted_invoice_url,
      paidAt: invoice.status_transitions?.paid_at ?? invoice.created
    })
  })

const formatDollars = (cents: number) => `$${(cents / 100).toFixed(2)}`

/** Emails the owner, unless the invoice has been paid since (a late delivery of an old failure). */
const emailPaymentFailed = (payload: StripeEventPayload, stripeSubscriptionId: string) =>
  Effect.gen(function*() {
    const invoice = payload.invoice_id === null
      ? Option.none()
      : Option.some(yield* (yield* StripeGateway).retrieveInvoice(payload.invoice_id))
    if (Option.exists(invoice, (found) => found.status === "paid")) return
    const local = yield* (yield* SubscriptionsRepo).findByStripeId(stripeSubscriptionId)
    if (Option.isNone(local) || local.value.ownerId === null) return
    const owner = { product: local.value.productType, ownerId: local.value.ownerId }
    const contact = yield* (yield* BillingContacts).of(owner)
    const plan = yield* (yield* Plans).byId(local.value.planId)
    if (Option.isNone(contact) || Option.isNone(plan)) return
    yield* (yield* Outbox).enqueue(PaymentFailedMessage, {
      email: contact.value.email,
      user_name: contact.value.name,
      plan_name: plan.value.name,
      workspace_name: contact.value.workspaceName,
      amount: payload.amount_due === null || payload.amount_due === 0 ? null : formatDollars(payload.amount_due),
      product_name: productNames[owner.product],
      update_payment_url: Option.getOrNull(
        Option.flatMap(invoice, (found) => Option.fromNullOr(found.hosted_invoice_url))
      )
    })
  })

export const checkoutCompletedHandler = queueHandler(StripeCheckoutCompletedMessage, (payload) =>
  once(
    payload,
    payload.stripe_subscription_id === null
      ? Effect.succeed<EventOutcome>("ignored")
      : Effect.map(syncSubscription(payload.stripe_subscription_id, payload), outcomeOf)
  ))

export const subscriptionUpdatedHandler = queueHandler(StripeSubscriptionUpdatedMessage, (payload) =>
  once(
    payload,
    Effect.gen(function*() {
      // An invoice of no subscription (a one-off) is not ours to apply: never guess one (W9-5).
      if (payload.stripe_subscription_id === null) return "ignored" as const
      const applied = yield* syncSubscription(payload.stripe_subscription_id, payload)
      if (payload.event_type?.startsWith("invoice.") === true && payload.invoice_id !== null) {
        const invoice = yield* (yield* StripeGateway).retrieveInvoice(payload.invoice_id)
        yield* recordPayment(invoice, payload.stripe_subscription_id)
      }
      return outcomeOf(applied)
    })
  ))

export const subscriptionDeletedHandler = queueHandler(StripeSubscriptionDeletedMessage, (payload) =>
  once(
    payload,
    payload.stripe_subscription_id === null
      ? Effect.succeed<EventOutcome>("ignored")
      : Effect.map(syncSubscription(payload.stripe_subscription_id, payload), outcomeOf)
  ))

export const paymentFailedHandler = queueHandler(StripePaymentFailedMessage, (payload) =>
  once(
    payload,
    Effect.gen(function*() {
      if (payload.stripe_subscription_id === null) return "ignored" as const
      const applied = yield* syncSubscription(payload.stripe_subscription_id, payload)
      yield* emailPaymentFailed(payload, payload.stripe_subscription_id)
      return outcomeOf(applied)
    })
  ))

/** Billing's queue handlers, for the consumer runtime. */
export const stripeEventHandlers: ReadonlyArray<QueueHandler<Services>> = [
  checkoutCompletedHandler,
  subscriptionUpdatedHandler,
  subscriptionDeletedHandler,
  paymentFailedHandler
]
