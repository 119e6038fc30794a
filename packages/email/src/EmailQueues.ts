/**
 * What the consumer runtime needs to handle the seven email queues: per queue its message type
 * (the one its publishers enqueue), its template name and how a decoded payload becomes an
 * `OutgoingEmail`; plus the operator alert of the DLQ path. Consuming, retrying and sending
 * are the runtime's and Brevo's job.
 */
import type { MessageType } from "@cuebx/broker"
import type { EmailRecipient, OutgoingEmail } from "./Brevo.ts"
import {
  OtpEmailMessage,
  PasswordResetConfirmationMessage,
  PaymentFailedMessage,
  SalesInquiryMessage,
  SubscriptionActivatedMessage,
  SubscriptionCanceledMessage,
  WorkspaceInvitationMessage
} from "./EmailPayloads.ts"
import {
  type AlertContext,
  dlqAlertEmail,
  type DlqAlertInput,
  otpEmail,
  passwordResetConfirmationEmail,
  paymentFailedEmail,
  salesInquiryEmail,
  subscriptionActivatedEmail,
  subscriptionCanceledEmail,
  workspaceInvitationEmail
} from "./EmailTemplates.ts"

export interface EmailContext {
  readonly appName: string
  /** The current year, for the footer. */
  readonly year: number
  /** OTP_EXPIRY_MINUTES, shown when the payload carries no `expiry_minutes`. */
  readonly otpExpiryMinutes: number
}

export interface EmailQueue<A, I> {
  readonly message: MessageType<A, I>
  /** Also the Brevo tag of every email of this queue. */
  readonly template: string
  readonly render: (payload: A, context: EmailContext) => OutgoingEmail
}

const emailQueue = <A, I>(spec: EmailQueue<A, I>): EmailQueue<A, I> => spec

const recipient = (email: string, name: string | null): EmailRecipient => {
  const trimmed = name?.trim()
  return trimmed === undefined || trimmed === "" ? { email } : { email, name: trimmed }
}

export const OtpEmails = emailQueue({
  message: OtpEmailMessage,
  template: "otp_email",
  render: (payload, context) => ({
    to: recipient(payload.email, payload.user_name),
    template: "otp_email",
    ...otpEmail(context, {
      userName: payload.user_name,
      otpCode: payload.otp_code,
      purpose: payload.purpose,
      expiryMinutes: payload.expiry_minutes ?? context.otpExpiryMinutes
    })
  })
})

export const PasswordResetConfirmationEmails = emailQueue({
  message: PasswordResetConfirmationMessage,
  template: "password_reset_confirmation_email",
  render: (payload, context) => ({
    to: recipient(payload.email, payload.user_name),
    template: "password_reset_confirmation_email",
    ...passwordResetConfirmationEmail(context, { userName: payload.user_name })
  })
})

export const SubscriptionActivatedEmails = emailQueue({
  message: SubscriptionActivatedMessage,
  template: "subscription_activated",
  render: (payload, context) => ({
    to: recipient(payload.email, payload.user_name),
    template: "subscription_activated",
    ...subscriptionActivatedEmail(context, {
      userName: payload.user_name,
      planName: payload.plan_name,
      workspaceName: payload.workspace_name,
      seatCount: payload.seat_count,
      productName: payload.product_name
    })
  })
})

export const SubscriptionCanceledEmails = emailQueue({
  message: SubscriptionCanceledMessage,
  template: "subscription_canceled",
  render: (payload, context) => ({
    to: recipient(payload.email, payload.user_name),
    template: "subscription_canceled",
    ...subscriptionCanceledEmail(context, {
      userName: payload.user_name,
      planName: payload.plan_name,
      workspaceName: payload.workspace_name,
      productName: payload.product_name
    })
  })
})

export const PaymentFailedEmails = emailQueue({
  message: PaymentFailedMessage,
  template: "payment_failed",
  render: (payload, context) => ({
    to: recipient(payload.email, payload.user_name),
    template: "payment_failed",
    ...paymentFailedEmail(context, {
      userName: payload.user_name,
      planName: payload.plan_name,
      workspaceName: payload.workspace_name,
      amount: payload.amount,
      productName: payload.product_name,
      updatePaymentUrl: payload.update_payment_url
    })
  })
})

export const WorkspaceInvitationEmails = emailQueue({
  message: WorkspaceInvitationMessage,
  template: "workspace_invitation",
  render: (payload, context) => ({
    to: { email: payload.email },
    template: "workspace_invitation",
    ...workspaceInvitationEmail(context, {
      inviteeEmail: payload.email,
      inviterName: payload.inviter_name,
      workspaceName: payload.workspace_name,
      role: payload.role,
      invitationLink: payload.invitation_link,
      expiryHours: payload.expiry_hours
    })
  })
})

/** To the sales team, with Reply-To the requester so answering the email reaches them. */
export const SalesInquiryEmails = emailQueue({
  message: SalesInquiryMessage,
  template: "sales_inquiry",
  render: (payload, context) => ({
    to: { email: payload.to },
    // A display name is one line: a newline typed into the form must not reach a mail header.
    replyTo: recipient(payload.email, `${payload.first_name} ${payload.last_name}`.replace(/\s+/g, " ")),
    template: "sales_inquiry",
    ...salesInquiryEmail(context, {
      inquiryId: payload.inquiry_id,
      firstName: payload.first_name,
      lastName: payload.last_name,
      email: payload.email,
      message: payload.message,
      receivedAt: payload.received_at
    })
  })
})

/** The seven email queues by name. */
export const EmailQueues = {
  otp_emails: OtpEmails,
  password_reset_confirmation_emails: PasswordResetConfirmationEmails,
  subscription_activated_emails: SubscriptionActivatedEmails,
  subscription_canceled_emails: SubscriptionCanceledEmails,
  payment_failed_emails: PaymentFailedEmails,
  workspace_invitation_emails: WorkspaceInvitationEmails,
  sales_inquiry_emails: SalesInquiryEmails
} as const

export type EmailQueueName = keyof typeof EmailQueues
export type AnyEmailQueue = (typeof EmailQueues)[EmailQueueName]

export const emailQueueList: ReadonlyArray<AnyEmailQueue> = Object.values(EmailQueues)

// --- Operator alerts ------------------------------------------------------------------------------

export interface AdminAlertContext extends AlertContext {
  /** ADMIN_ALERT_EMAIL; the caller sends nothing when it is not set. */
  readonly adminEmail: string
}

export const renderDlqAlert = (alert: DlqAlertInput, context: AdminAlertContext): OutgoingEmail => ({
  to: { email: context.adminEmail },
  template: "dlq_alert",
  ...dlqAlertEmail(context, alert)
})
