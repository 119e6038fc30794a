/**
 * The JSON payloads of the seven email queues, as their publishers send them today (including the
 * reference's legacy `subscription_activated_emails` shape), each with its message type: the one
 * declaration publishers enqueue (`Outbox.enqueue(OtpEmailMessage, ...)`) and the consumer
 * handles. Absent nullable fields decode to `null` and unknown keys are ignored; what the emails
 * say is decided in the templates.
 */
import { messageType, Queues } from "@cuebx/broker"
import { Effect, Schema, SchemaTransformation } from "effect"

/** Loose on purpose: the publisher validated the address; this only catches garbage. */
export const EmailAddress = Schema.String.check(Schema.isPattern(/^[^@\s]+@[^@\s]+$/))

const Text = Schema.String.check(Schema.isMinLength(1))

/** `string | null`, where an absent key decodes to `null`. */
const NullableText = Schema.NullOr(Schema.String).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

export const OtpPurpose = Schema.Literals(["email_verification", "password_reset", "sign_in"])
export type OtpPurpose = typeof OtpPurpose.Type

export const OtpEmailPayload = Schema.Struct({
  email: EmailAddress,
  /** Possibly sealed by the publisher: the consumer opens it before rendering. */
  otp_code: Text,
  purpose: OtpPurpose,
  user_name: NullableText,
  /** When absent, the email shows OTP_EXPIRY_MINUTES. */
  expiry_minutes: Schema.optionalKey(PositiveInt)
})
export type OtpEmailPayload = typeof OtpEmailPayload.Type

export const OtpEmailMessage = messageType(Queues.otpEmails, OtpEmailPayload)

export const PasswordResetConfirmationPayload = Schema.Struct({
  email: EmailAddress,
  user_name: NullableText
})
export type PasswordResetConfirmationPayload = typeof PasswordResetConfirmationPayload.Type

export const PasswordResetConfirmationMessage = messageType(
  Queues.passwordResetConfirmationEmails,
  PasswordResetConfirmationPayload
)

/** The one shape handlers see for `subscription_activated_emails`. */
export const SubscriptionActivated = Schema.Struct({
  email: EmailAddress,
  user_name: Schema.NullOr(Schema.String),
  plan_name: Text,
  workspace_name: Schema.NullOr(Schema.String),
  seat_count: Schema.NullOr(Schema.Int),
  /** `null` means the app name. */
  product_name: Schema.NullOr(Schema.String)
})
export type SubscriptionActivated = typeof SubscriptionActivated.Type

const legacyProductNames = { api: "CueBX API", career: "CueBX Career" } as const

/**
 * Both published shapes in one struct: checkout sends `user_name`/`product_name`/`seat_count`,
 * the API upgrade and the Stripe plan change send `full_name`/`product_type`.
 */
const SubscriptionActivatedWire = Schema.Struct({
  email: EmailAddress,
  plan_name: Text,
  user_name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  full_name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  workspace_name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  seat_count: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  product_name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  product_type: Schema.optionalKey(Schema.Literals(["api", "career"]))
})

export const SubscriptionActivatedPayload = SubscriptionActivatedWire.pipe(
  Schema.decodeTo(
    SubscriptionActivated,
    SchemaTransformation.transform({
      decode: (wire) => ({
        email: wire.email,
        user_name: wire.user_name ?? wire.full_name ?? null,
        plan_name: wire.plan_name,
        workspace_name: wire.workspace_name ?? null,
        seat_count: wire.seat_count ?? null,
        product_name: wire.product_name ??
          (wire.product_type === undefined ? null : legacyProductNames[wire.product_type])
      }),
      // Encoding always produces the checkout shape, the one new publishers should send.
      encode: (activated) => ({ ...activated })
    })
  )
)
export type SubscriptionActivatedPayload = typeof SubscriptionActivatedPayload.Type

export const SubscriptionActivatedMessage = messageType(
  Queues.subscriptionActivatedEmails,
  SubscriptionActivatedPayload
)

export const SubscriptionCanceledPayload = Schema.Struct({
  email: EmailAddress,
  user_name: NullableText,
  plan_name: Text,
  workspace_name: NullableText,
  /** `null` means the app name. */
  product_name: NullableText
})
export type SubscriptionCanceledPayload = typeof SubscriptionCanceledPayload.Type

export const SubscriptionCanceledMessage = messageType(Queues.subscriptionCanceledEmails, SubscriptionCanceledPayload)

export const PaymentFailedPayload = Schema.Struct({
  email: EmailAddress,
  user_name: NullableText,
  plan_name: Text,
  workspace_name: NullableText,
  /** Already formatted ("$49.99"), or null when unknown. */
  amount: NullableText,
  /** `null` means the app name. */
  product_name: NullableText,
  update_payment_url: NullableText
})
export type PaymentFailedPayload = typeof PaymentFailedPayload.Type

export const PaymentFailedMessage = messageType(Queues.paymentFailedEmails, PaymentFailedPayload)

export const WorkspaceInvitationPayload = Schema.Struct({
  email: EmailAddress,
  /** `null` shows "A team member". */
  inviter_name: NullableText,
  workspace_name: Text,
  /** "Member" or "Admin" today; any label is shown as sent. */
  role: Text,
  /** Possibly sealed by the publisher: the consumer opens it before rendering. */
  invitation_link: Text,
  expiry_hours: PositiveInt.pipe(Schema.withDecodingDefaultKey(Effect.succeed(72)))
})
export type WorkspaceInvitationPayload = typeof WorkspaceInvitationPayload.Type

export const WorkspaceInvitationMessage = messageType(Queues.workspaceInvitationEmails, WorkspaceInvitationPayload)

/** CueBX's own queue (the Python service had none): a contact-sales inquiry, for the sales team. */
export const SalesInquiryPayload = Schema.Struct({
  /** The sales team's address (`SALES_NOTIFICATION_EMAIL`, else `ADMIN_ALERT_EMAIL`). */
  to: EmailAddress,
  inquiry_id: Text,
  first_name: Text,
  last_name: Text,
  /** The requester's address: the email's Reply-To. */
  email: EmailAddress,
  message: NullableText,
  /** When the inquiry was stored, ISO 8601 in UTC. */
  received_at: Text
})
export type SalesInquiryPayload = typeof SalesInquiryPayload.Type

export const SalesInquiryMessage = messageType(Queues.salesInquiryEmails, SalesInquiryPayload)
