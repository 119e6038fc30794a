/**
 * The four Stripe queues and the one payload their messages share: the event (id, type, when
 * Stripe created it) and the ids its handler needs to fetch the current object from Stripe. The
 * reference's fields keep their names (`stripe_subscription_id`, `workspace_id`, `seat_count`…),
 * so messages it queued still decode. Which queue an event type goes to is decided here.
 */
import { type MessageType, messageType, Queues } from "@cuebx/broker"
import { DateTime, Effect, Schema } from "effect"
import type { StripeEvent } from "../stripe/StripeObjects.ts"

const nullable = <S extends Schema.Top>(schema: S) =>
  Schema.NullOr(schema).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))

export const StripeEventPayload = Schema.Struct({
  event_id: Schema.String,
  event_type: nullable(Schema.String),
  /** Unix seconds. */
  event_created: nullable(Schema.Int),
  stripe_subscription_id: nullable(Schema.String),
  stripe_customer_id: nullable(Schema.String),
  invoice_id: nullable(Schema.String),
  workspace_id: nullable(Schema.String),
  user_id: nullable(Schema.String),
  plan_id: nullable(Schema.String),
  seat_count: nullable(Schema.Int),
  product_type: nullable(Schema.String),
  customer_email: nullable(Schema.String),
  amount_due: nullable(Schema.Int)
})
export type StripeEventPayload = typeof StripeEventPayload.Type

export const StripeCheckoutCompletedMessage = messageType(Queues.stripeCheckoutCompleted, StripeEventPayload)
export const StripeSubscriptionUpdatedMessage = messageType(Queues.stripeSubscriptionUpdated, StripeEventPayload)
export const StripeSubscriptionDeletedMessage = messageType(Queues.stripeSubscriptionDeleted, StripeEventPayload)
export const StripePaymentFailedMessage = messageType(Queues.stripePaymentFailed, StripeEventPayload)

const routes: Readonly<Record<string, MessageType<StripeEventPayload, typeof StripeEventPayload.Encoded>>> = {
  "checkout.session.completed": StripeCheckoutCompletedMessage,
  "customer.subscription.created": StripeSubscriptionUpdatedMessage,
  "customer.subscription.updated": StripeSubscriptionUpdatedMessage,
  "customer.subscription.paused": StripeSubscriptionUpdatedMessage,
  "customer.subscription.resumed": StripeSubscriptionUpdatedMessage,
  "invoice.paid": StripeSubscriptionUpdatedMessage,
  "invoice.payment_succeeded": StripeSubscriptionUpdatedMessage,
  "customer.subscription.deleted": StripeSubscriptionDeletedMessage,
  "invoice.payment_failed": StripePaymentFailedMessage,
  "invoice.payment_action_required": StripePaymentFailedMessage
}

/** The webhook events to enable in Stripe's dashboard: every type CueBX handles. */
export const handledEventTypes: ReadonlyArray<string> = Object.keys(routes)

/** The queue of an event type; `undefined` for a type CueBX ignores. */
export const queueOf = (eventType: string) => routes[eventType]

const text = (value: unknown): string | null => typeof value === "string" && value !== "" ? value : null
const integer = (value: unknown): number | null =>
  typeof value === "number" && Number.isInteger(value)
    ? value
    : typeof value === "string" && /^\d+$/.test(value)
    ? Number(value)
    : null
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? value as Record<string, unknown> : {}

/** What the handler needs of an event, read from its object without trusting its shape. */
export const payloadOf = (event: StripeEvent): StripeEventPayload => {
  const object = event.data.object
  const base = {
    event_id: event.id,
    event_type: event.type,
    event_created: Math.floor(DateTime.toEpochMillis(event.created) / 1000),
    stripe_subscription_id: null,
    stripe_customer_id: text(object["customer"]),
    invoice_id: null,
    workspace_id: null,
    user_id: null,
    plan_id: null,
    seat_count: null,
    product_type: null,
    customer_email: null,
    amount_due: null
  }
  if (event.type === "checkout.session.completed") {
    const metadata = record(object["metadata"])
    return {
      ...base,
      stripe_subscription_id: text(object["subscription"]),
      workspace_id: text(metadata["workspace_id"]),
      user_id: text(metadata["user_id"]),
      plan_id: text(metadata["plan_id"]),
      seat_count: integer(metadata["seat_count"]),
      product_type: text(metadata["product_type"])
    }
  }
  if (event.type.startsWith("invoice.")) {
    const parent = record(record(object["parent"])["subscription_details"])
    return {
      ...base,
      invoice_id: text(object["id"]),
      // Where this API version puts it: `invoice.subscription` no longer exists (W9-5).
      stripe_subscription_id: text(parent["subscription"]),
      customer_email: text(object["customer_email"]),
      amount_due: integer(object["amount_due"])
    }
  }
  return { ...base, stripe_subscription_id: text(object["id"]) }
}
