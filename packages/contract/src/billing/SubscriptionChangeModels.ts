/**
 * What clients send and get back when they change a subscription through Stripe: checkout, seats,
 * cancellation, reactivation, upgrade previews and upgrades (the reference's shapes), plus the
 * payments history and the customer portal. Amounts are decimal strings (`BigDecimal` in code).
 */
import { Schema, SchemaTransformation } from "effect"
import { Amount, Timestamp, Uuid } from "../Ids.ts"

/** An absolute http(s) URL of at most 2083 characters (pydantic's `HttpUrl`), normalised. */
export const HttpUrl = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(2083),
  Schema.makeFilter((text: string) =>
    URL.canParse(text) && /^https?:$/.test(new URL(text).protocol) ||
    "Input should be a valid URL"
  )
).pipe(
  Schema.decodeTo(
    Schema.String,
    SchemaTransformation.transform({ decode: (text) => new URL(text).toString(), encode: (url) => url })
  )
).annotate({ format: "uri", description: "An absolute http(s) URL" })

export const SeatCount = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 })).annotate({
  description: "Number of seats, 1–100"
})

export const CheckoutRequest = Schema.Struct({
  plan_id: Uuid,
  seat_count: SeatCount,
  success_url: HttpUrl,
  cancel_url: HttpUrl
}).annotate({ identifier: "CheckoutRequest" })

export const CareerCheckoutRequest = Schema.Struct({
  plan_id: Uuid,
  success_url: HttpUrl,
  cancel_url: HttpUrl
}).annotate({ identifier: "CareerCheckoutRequest" })

export const CheckoutResponse = Schema.Struct({
  checkout_url: Schema.String,
  session_id: Schema.String
}).annotate({ identifier: "CheckoutResponse" })

export const SeatUpdateRequest = Schema.Struct({ seat_count: SeatCount }).annotate({
  identifier: "SeatUpdateRequest"
})

export const CancelSubscriptionRequest = Schema.Struct({
  cancel_at_period_end: Schema.optionalKey(Schema.Boolean).annotate({
    description: "`true` (default): at the end of the period; `false`: now"
  })
}).annotate({ identifier: "CancelSubscriptionRequest" })

export const ReactivateRequest = Schema.Struct({
  member_ids_to_enable: Schema.optionalKey(Schema.NullOr(Schema.Array(Uuid))).annotate({
    description: "Members to enable besides the owner: user ids (membership ids are accepted too)"
  })
}).annotate({ identifier: "ReactivateRequest" })

const atLeastOneChange =
  "Value error, At least one field must be provided in upgrade_preview (new_plan_id or new_seat_count)"

export const UpgradePreviewRequest = Schema.Struct({
  new_plan_id: Schema.optionalKey(Schema.NullOr(Uuid)),
  new_seat_count: Schema.optionalKey(Schema.NullOr(SeatCount))
}).check(
  Schema.makeFilter((request) => request.new_plan_id != null || request.new_seat_count != null || atLeastOneChange)
).annotate({ identifier: "UpgradePreviewRequest" })

export const UpgradePreviewResponse = Schema.Struct({
  current_plan: Schema.String,
  new_plan: Schema.String,
  current_seat_count: Schema.Int,
  new_seat_count: Schema.Int,
  proration_amount: Amount.annotate({ description: "What the change is worth for the rest of the period" }),
  total_due: Amount.annotate({ description: "Stripe's amount due now for the change" }),
  currency: Schema.String,
  billing_period_end: Schema.NullOr(Timestamp)
}).annotate({ identifier: "UpgradePreviewResponse" })

export const UpgradeRequest = Schema.Struct({ new_plan_id: Uuid }).annotate({ identifier: "UpgradeRequest" })

export const CareerUpgradePreviewResponse = Schema.Struct({
  current_plan: Schema.String,
  new_plan: Schema.String,
  proration_amount: Amount,
  total_due: Amount,
  currency: Schema.String,
  billing_period_end: Schema.NullOr(Timestamp)
}).annotate({ identifier: "CareerUpgradePreviewResponse" })

export const PortalRequest = Schema.Struct({
  return_url: Schema.String.check(Schema.isMaxLength(2048)).annotate({
    description: "Where Stripe sends the customer back; on an origin of CORS_ALLOW_ORIGINS"
  })
}).annotate({ identifier: "PortalRequest" })

export const PortalResponse = Schema.Struct({ url: Schema.String }).annotate({ identifier: "PortalResponse" })

export const PaymentStatus = Schema.Literals(["succeeded", "refunded"]).annotate({ identifier: "PaymentStatus" })

export const PaymentResponse = Schema.Struct({
  id: Schema.String,
  subscription_id: Schema.NullOr(Schema.String),
  provider: Schema.Literals(["stripe", "paymob", "manual"]),
  provider_invoice_id: Schema.String,
  amount: Amount,
  currency: Schema.String,
  status: PaymentStatus,
  billing_reason: Schema.NullOr(Schema.String),
  period_start: Schema.NullOr(Timestamp),
  period_end: Schema.NullOr(Timestamp),
  invoice_url: Schema.NullOr(Schema.String),
  paid_at: Timestamp
}).annotate({ identifier: "PaymentResponse" })
export type PaymentResponse = typeof PaymentResponse.Type

const IntFromString = Schema.FiniteFromString.check(Schema.isInt())

export const PaymentsQuery = {
  limit: Schema.optionalKey(IntFromString.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
  offset: Schema.optionalKey(IntFromString.check(Schema.isGreaterThanOrEqualTo(0)))
}

export const PaymentPage = Schema.Struct({
  payments: Schema.Array(PaymentResponse),
  total: Schema.Int,
  limit: Schema.Int,
  offset: Schema.Int
}).annotate({ identifier: "PaymentPage" })
