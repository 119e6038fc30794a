/**
 * The parts of Stripe's objects CueBX reads, decoded at the edge (API version pinned in
 * `StripeGateway`): subscriptions with their items (billing periods live on the items in this
 * version), invoices (the subscription is under `parent.subscription_details`), checkout
 * sessions, and webhook events. Instants become `DateTime.Utc`, amounts stay integer cents.
 */
import { DateTime, Effect, Schema, SchemaTransformation } from "effect"

/** `null` when the key is absent or null: Stripe omits some keys on some objects. */
const nullable = <S extends Schema.Top>(schema: S) =>
  Schema.NullOr(schema).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))

/** Unix seconds → `DateTime.Utc`. */
export const UnixTime = Schema.Number.pipe(
  Schema.decodeTo(
    Schema.DateTimeUtc,
    SchemaTransformation.transform({
      decode: (seconds: number) => DateTime.makeUnsafe(seconds * 1000),
      encode: (instant) => Math.floor(DateTime.toEpochMillis(instant) / 1000)
    })
  )
)

const Metadata = Schema.Record(Schema.String, Schema.String).pipe(
  Schema.withDecodingDefaultKey(Effect.succeed({}))
)

/** An id, or the expanded object's id. */
const IdOrObject = Schema.Union([
  Schema.String,
  Schema.Struct({ id: Schema.String }).pipe(
    Schema.decodeTo(
      Schema.String,
      SchemaTransformation.transform({ decode: (object) => object.id, encode: (id) => ({ id }) })
    )
  )
])

export const StripePrice = Schema.Struct({
  id: Schema.String,
  product: IdOrObject,
  unit_amount: nullable(Schema.Int),
  currency: Schema.String,
  active: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(true))),
  recurring: nullable(Schema.Struct({ interval: Schema.String }))
})
export type StripePrice = typeof StripePrice.Type

export const StripeSubscriptionItem = Schema.Struct({
  id: Schema.String,
  price: StripePrice,
  quantity: Schema.Int.pipe(Schema.withDecodingDefaultKey(Effect.succeed(1))),
  current_period_start: nullable(UnixTime),
  current_period_end: nullable(UnixTime)
})
export type StripeSubscriptionItem = typeof StripeSubscriptionItem.Type

export const StripeSubscription = Schema.Struct({
  id: Schema.String,
  customer: IdOrObject,
  status: Schema.String,
  cancel_at_period_end: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false))),
  canceled_at: nullable(UnixTime),
  ended_at: nullable(UnixTime),
  created: UnixTime,
  metadata: Metadata,
  items: Schema.Struct({ data: Schema.Array(StripeSubscriptionItem) })
})
export type StripeSubscription = typeof StripeSubscription.Type

export const StripeInvoiceLine = Schema.Struct({
  id: Schema.String,
  amount: Schema.Int,
  parent: nullable(Schema.Struct({
    subscription_item_details: nullable(Schema.Struct({
      proration: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false)))
    }))
  }))
})

export const StripeInvoice = Schema.Struct({
  id: nullable(Schema.String),
  customer: nullable(IdOrObject),
  customer_email: nullable(Schema.String),
  status: nullable(Schema.String),
  amount_due: Schema.Int,
  amount_paid: Schema.Int.pipe(Schema.withDecodingDefaultKey(Effect.succeed(0))),
  currency: Schema.String,
  billing_reason: nullable(Schema.String),
  created: UnixTime,
  period_start: nullable(UnixTime),
  period_end: nullable(UnixTime),
  hosted_invoice_url: nullable(Schema.String),
  status_transitions: nullable(Schema.Struct({ paid_at: nullable(UnixTime) })),
  parent: nullable(Schema.Struct({
    subscription_details: nullable(Schema.Struct({ subscription: nullable(IdOrObject) }))
  })),
  lines: Schema.Struct({ data: Schema.Array(StripeInvoiceLine) }).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed({ data: [] }))
  )
})
export type StripeInvoice = typeof StripeInvoice.Type

/** The subscription an invoice bills, where this API version puts it (not `invoice.subscription`). */
export const invoiceSubscriptionId = (invoice: StripeInvoice): string | null =>
  invoice.parent?.subscription_details?.subscription ?? null

export const StripeCheckoutSession = Schema.Struct({
  id: Schema.String,
  url: nullable(Schema.String),
  customer: nullable(IdOrObject),
  subscription: nullable(IdOrObject),
  metadata: Metadata
})
export type StripeCheckoutSession = typeof StripeCheckoutSession.Type

export const StripeCustomer = Schema.Struct({ id: Schema.String })

export const StripeProduct = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  active: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(true)))
})
export type StripeProduct = typeof StripeProduct.Type

export const StripePortalSession = Schema.Struct({ id: Schema.String, url: Schema.String })

/** A webhook event as `constructEvent` hands it over: its object stays raw until its handler reads it. */
export const StripeEvent = Schema.Struct({
  id: Schema.String.check(Schema.isMinLength(1)),
  type: Schema.String.check(Schema.isMinLength(1)),
  created: UnixTime,
  data: Schema.Struct({ object: Schema.Record(Schema.String, Schema.Unknown) })
})
export type StripeEvent = typeof StripeEvent.Type
