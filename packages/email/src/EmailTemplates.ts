/**
 * The emails CueBX sends, as pure functions returning a subject, an HTML part and a plain-text
 * part in one shared layout. Every value interpolated into HTML is escaped by the `html` tag;
 * these functions know nothing about queues, payload shapes or delivery.
 */
import { DateTime } from "effect"
import type { OtpPurpose } from "./EmailPayloads.ts"

export interface TemplateContext {
  readonly appName: string
  readonly year: number
}

export interface AlertContext {
  readonly appName: string
  readonly environment: string
}

export interface RenderedTemplate {
  readonly subject: string
  readonly html: string
  readonly text: string
}

// --- HTML building: interpolations are escaped unless they are already `SafeHtml` ---------------

class SafeHtml {
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString() {
    return this.value
  }
}

type HtmlValue = SafeHtml | string | number | null | undefined | ReadonlyArray<HtmlValue>

const htmlEntities: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\"": "&quot;",
  "'": "&#39;"
}

export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => htmlEntities[char] ?? char)

const renderValue = (value: HtmlValue): string => {
  if (value === null || value === undefined) return ""
  if (value instanceof SafeHtml) return value.value
  if (typeof value === "number") return String(value)
  if (typeof value === "string") return escapeHtml(value)
  return value.map(renderValue).join("")
}

const html = (strings: TemplateStringsArray, ...values: ReadonlyArray<HtmlValue>): SafeHtml =>
  new SafeHtml(strings.reduce((out, chunk, index) => out + renderValue(values[index - 1]) + chunk, ""))

/** Only http(s) links become clickable; anything else (a `javascript:` URL, a typo) stays text. */
const isWebLink = (url: string) => /^https?:\/\/[^\s]+$/i.test(url.trim())

// --- Shared layout -------------------------------------------------------------------------------

const styles = {
  body: "margin:0;padding:0;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933;",
  card: "max-width:600px;margin:24px auto;background:#ffffff;border-radius:8px;overflow:hidden;",
  header: "background:#1f3a8a;color:#ffffff;padding:20px 32px;font-size:22px;font-weight:bold;",
  content: "padding:32px;font-size:15px;line-height:1.6;",
  footer: "padding:16px 32px;font-size:12px;color:#7b8794;border-top:1px solid #e4e7eb;",
  button:
    "display:inline-block;background:#1f3a8a;color:#ffffff;text-decoration:none;padding:12px 24px;border-radius:6px;font-weight:bold;",
  code:
    "display:inline-block;font-size:32px;letter-spacing:8px;font-weight:bold;font-family:'Courier New',monospace;background:#f4f5f7;padding:12px 24px;border-radius:6px;",
  label: "padding:4px 16px 4px 0;color:#52606d;vertical-align:top;white-space:nowrap;",
  pre:
    "white-space:pre-wrap;word-break:break-all;background:#f4f5f7;padding:12px;border-radius:6px;font-size:12px;font-family:'Courier New',monospace;",
  quote:
    "white-space:pre-wrap;word-break:break-word;background:#f4f5f7;padding:12px 16px;border-left:4px solid #1f3a8a;border-radius:4px;"
}

const layout = (context: TemplateContext, title: string, content: SafeHtml): string =>
  html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body style="${styles.body}">
<div style="${styles.card}">
<div style="${styles.header}">${context.appName}</div>
<div style="${styles.content}">
${content}
</div>
<div style="${styles.footer}">This is an automated message from ${context.appName}.<br>&copy; ${context.year} ${context.appName}. All rights reserved.</div>
</div>
</body>
</html>
`.value

const textLayout = (context: TemplateContext, lines: ReadonlyArray<string>): string =>
  [
    ...lines,
    "",
    "---",
    `This is an automated message from ${context.appName}.`,
    `© ${context.year} ${context.appName}. All rights reserved.`,
    ""
  ].join("\n")

const paragraph = (...parts: ReadonlyArray<HtmlValue>) => html`<p>${parts}</p>`

const detailsTable = (rows: ReadonlyArray<readonly [string, string | null]>) =>
  html`<table role="presentation" style="margin:16px 0;border-collapse:collapse;">${
    rows.filter((row): row is readonly [string, string] => row[1] !== null).map(([label, value]) =>
      html`<tr><td style="${styles.label}">${label}</td><td><strong>${value}</strong></td></tr>`
    )
  }</table>`

const detailsText = (rows: ReadonlyArray<readonly [string, string | null]>) =>
  rows.filter((row): row is readonly [string, string] => row[1] !== null).map(([label, value]) =>
    `- ${label}: ${value}`
  )

const button = (href: string, label: string) =>
  isWebLink(href)
    ? html`<p style="margin:24px 0;"><a href="${href.trim()}" style="${styles.button}">${label}</a></p>
<p style="font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br>${href.trim()}</p>`
    : html`<p>${label}: ${href}</p>`

/** Subjects are one line: a newline in a name must not break the header. */
const oneLine = (value: string) => value.replace(/\s+/g, " ").trim()

const present = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? null : trimmed
}

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"}`

// --- OTP -------------------------------------------------------------------------------------------

export interface OtpEmailInput {
  readonly userName?: string | null | undefined
  readonly otpCode: string
  readonly purpose: OtpPurpose
  readonly expiryMinutes: number
}

interface OtpCopy {
  readonly subject: string
  readonly heading: string
  readonly intro: string
  readonly why: string
}

const otpCopy = (appName: string, purpose: OtpPurpose): OtpCopy => {
  switch (purpose) {
    case "email_verification":
      return {
        subject: `Verify Your Email - ${appName}`,
        heading: "Verify your email address",
        intro: `Thank you for signing up for ${appName}! Use the code below to confirm your email address.`,
        why:
          "You are receiving this because an account was created with this email address. If that was not you, you can ignore this email."
      }
    case "password_reset":
      return {
        subject: `Password Reset - ${appName}`,
        heading: "Reset your password",
        intro:
          `We received a request to reset the password of your ${appName} account. Use the code below to choose a new password.`,
        why: "If you did not ask to reset your password, you can ignore this email: your password stays unchanged."
      }
    case "sign_in":
      return {
        subject: `Your Sign-in Code - ${appName}`,
        heading: "Your sign-in code",
        intro: `Use the code below to sign in to ${appName}.`,
        why:
          "If you did not try to sign in, you can ignore this email; someone may have typed your email address by mistake."
      }
  }
}

export const otpEmail = (context: TemplateContext, input: OtpEmailInput): RenderedTemplate => {
  const copy = otpCopy(context.appName, input.purpose)
  const name = present(input.userName) ?? "User"
  const expiry = `This code expires in ${plural(input.expiryMinutes, "minute")}.`
  const security = `Never share this code with anyone. ${context.appName} will never ask you for it.`
  return {
    subject: oneLine(copy.subject),
    html: layout(
      context,
      copy.subject,
      html`<h2>${copy.heading}</h2>
${paragraph("Hello ", name, ",")}
${paragraph(copy.intro)}
<p style="text-align:center;margin:24px 0;"><span style="${styles.code}">${input.otpCode}</span></p>
${paragraph(html`<strong>${expiry}</strong>`)}
${paragraph(copy.why)}
<p style="font-size:13px;color:#52606d;">${security}</p>`
    ),
    text: textLayout(context, [
      copy.heading,
      "",
      `Hello ${name},`,
      "",
      copy.intro,
      "",
      `Your code: ${input.otpCode}`,
      "",
      expiry,
      "",
      copy.why,
      "",
      security
    ])
  }
}

// --- Password changed ------------------------------------------------------------------------------

export interface PasswordResetConfirmationInput {
  readonly userName?: string | null | undefined
}

export const passwordResetConfirmationEmail = (
  context: TemplateContext,
  input: PasswordResetConfirmationInput
): RenderedTemplate => {
  const subject = `Password Changed Successfully - ${context.appName}`
  const name = present(input.userName) ?? "User"
  const changed = `The password of your ${context.appName} account was changed successfully.`
  const next = "You can now sign in with your new password."
  const warning =
    "If you did not make this change, reset your password right away and contact our support team: someone else may have access to your account."
  return {
    subject: oneLine(subject),
    html: layout(
      context,
      subject,
      html`<h2>Your password was changed</h2>
${paragraph("Hello ", name, ",")}
${paragraph(changed, " ", next)}
${paragraph(html`<strong>${warning}</strong>`)}`
    ),
    text: textLayout(context, [
      "Your password was changed",
      "",
      `Hello ${name},`,
      "",
      `${changed} ${next}`,
      "",
      warning
    ])
  }
}

// --- Billing ---------------------------------------------------------------------------------------

/** A subscription notice: greeting, what happened, the subscription's details, what next. */
const subscriptionNotice = (context: TemplateContext, notice: {
  readonly subject: string
  readonly heading: string
  readonly name: string
  readonly intro: string
  readonly rows: ReadonlyArray<readonly [string, string | null]>
  readonly outro: string
}): RenderedTemplate => ({
  subject: oneLine(notice.subject),
  html: layout(
    context,
    notice.subject,
    html`<h2>${notice.heading}</h2>
${paragraph("Hi ", notice.name, ",")}
${paragraph(notice.intro)}
${detailsTable(notice.rows)}
${paragraph(notice.outro)}`
  ),
  text: textLayout(context, [
    notice.heading,
    "",
    `Hi ${notice.name},`,
    "",
    notice.intro,
    "",
    "Subscription details:",
    ...detailsText(notice.rows),
    "",
    notice.outro
  ])
})

export interface SubscriptionActivatedInput {
  readonly userName?: string | null | undefined
  readonly planName: string
  readonly workspaceName?: string | null | undefined
  readonly seatCount?: number | null | undefined
  /** Defaults to the app name. */
  readonly productName?: string | null | undefined
}

export const subscriptionActivatedEmail = (
  context: TemplateContext,
  input: SubscriptionActivatedInput
): RenderedTemplate => {
  const product = present(input.productName) ?? context.appName
  const subject = `Your ${product} subscription is active - ${context.appName}`
  const name = present(input.userName) ?? "there"
  const intro = `Great news! Your ${product} subscription to the ${input.planName} plan is now active.`
  const rows = [
    ["Product", product],
    ["Plan", input.planName],
    ["Workspace", present(input.workspaceName)],
    ["Seats", input.seatCount === null || input.seatCount === undefined ? null : String(input.seatCount)]
  ] as const
  const outro =
    "You now have access to everything your plan includes. If you have any questions, our support team is happy to help."
  return subscriptionNotice(context, { subject, heading: "Your subscription is active", name, intro, rows, outro })
}

export interface SubscriptionCanceledInput {
  readonly userName?: string | null | undefined
  readonly planName: string
  readonly workspaceName?: string | null | undefined
  /** Defaults to the app name. */
  readonly productName?: string | null | undefined
}

export const subscriptionCanceledEmail = (
  context: TemplateContext,
  input: SubscriptionCanceledInput
): RenderedTemplate => {
  const product = present(input.productName) ?? context.appName
  const subject = `Your ${product} subscription has been canceled - ${context.appName}`
  const name = present(input.userName) ?? "there"
  const intro = `Your ${product} subscription to the ${input.planName} plan has been canceled.`
  const rows = [
    ["Product", product],
    ["Plan", input.planName],
    ["Workspace", present(input.workspaceName)]
  ] as const
  const outro =
    "You can subscribe again at any time from your billing settings. If you did not expect this, please contact our support team."
  return subscriptionNotice(context, {
    subject,
    heading: "Your subscription has been canceled",
    name,
    intro,
    rows,
    outro
  })
}

export interface PaymentFailedInput {
  readonly userName?: string | null | undefined
  readonly planName: string
  readonly workspaceName?: string | null | undefined
  /** Already formatted, e.g. "$49.99". */
  readonly amount?: string | null | undefined
  /** Defaults to the app name. */
  readonly productName?: string | null | undefined
  readonly updatePaymentUrl?: string | null | undefined
}

export const paymentFailedEmail = (context: TemplateContext, input: PaymentFailedInput): RenderedTemplate => {
  const product = present(input.productName) ?? context.appName
  const subject = `Payment failed for your ${product} subscription - ${context.appName}`
  const name = present(input.userName) ?? "there"
  const amount = present(input.amount)
  const intro = `We were unable to process your payment${
    amount === null ? "" : ` of ${amount}`
  } for your ${product} subscription to the ${input.planName} plan.`
  const rows = [
    ["Product", product],
    ["Plan", input.planName],
    ["Workspace", present(input.workspaceName)],
    ["Amount", amount]
  ] as const
  const reasons = ["Your card has expired", "Insufficient funds", "Your bank declined the charge"]
  const action = "Please update your payment method to avoid an interruption of your service."
  const url = present(input.updatePaymentUrl)
  return {
    subject: oneLine(subject),
    html: layout(
      context,
      subject,
      html`<h2>Your payment failed</h2>
${paragraph("Hi ", name, ",")}
${paragraph(intro)}
${detailsTable(rows)}
${paragraph("Common reasons:")}
<ul>${reasons.map((reason) => html`<li>${reason}</li>`)}</ul>
${paragraph(action)}
${url === null ? paragraph("You can do this in your billing settings.") : button(url, "Update payment method")}`
    ),
    text: textLayout(context, [
      "Your payment failed",
      "",
      `Hi ${name},`,
      "",
      intro,
      "",
      "Payment details:",
      ...detailsText(rows),
      "",
      "Common reasons:",
      ...reasons.map((reason) => `- ${reason}`),
      "",
      action,
      url === null ? "You can do this in your billing settings." : `Update your payment method here: ${url}`
    ])
  }
}

// --- Workspace invitation ---------------------------------------------------------------------------

export interface WorkspaceInvitationInput {
  readonly inviteeEmail: string
  /** Defaults to "A team member". */
  readonly inviterName?: string | null | undefined
  readonly workspaceName: string
  readonly role: string
  readonly invitationLink: string
  readonly expiryHours: number
}

const formatHours = (hours: number) =>
  hours >= 48 && hours % 24 === 0 ? plural(hours / 24, "day") : plural(hours, "hour")

export const workspaceInvitationEmail = (
  context: TemplateContext,
  input: WorkspaceInvitationInput
): RenderedTemplate => {
  const subject = `You're invited to join ${input.workspaceName} on ${context.appName}`
  const inviter = present(input.inviterName) ?? "A team member"
  const intro = `${inviter} has invited you to join the workspace ${input.workspaceName} on ${context.appName}.`
  const rows = [["Workspace", input.workspaceName], ["Role", input.role]] as const
  const expiry = `This invitation expires in ${formatHours(input.expiryHours)}.`
  const account = "If you don't have an account yet, you can create one when you accept the invitation."
  const sentTo =
    `This invitation was sent to ${input.inviteeEmail}. If you were not expecting it, you can ignore this email.`
  return {
    subject: oneLine(subject),
    html: layout(
      context,
      subject,
      html`<h2>You're invited!</h2>
${paragraph("Hi there,")}
${paragraph(intro)}
${detailsTable(rows)}
${button(input.invitationLink, "Accept invitation")}
${paragraph(html`<strong>${expiry}</strong>`)}
${paragraph(account)}
<p style="font-size:13px;color:#52606d;">${sentTo}</p>`
    ),
    text: textLayout(context, [
      "You're invited!",
      "",
      "Hi there,",
      "",
      intro,
      "",
      ...detailsText(rows),
      "",
      "Accept the invitation here:",
      input.invitationLink,
      "",
      expiry,
      "",
      account,
      "",
      sentTo
    ])
  }
}

// --- Sales inquiry ----------------------------------------------------------------------------------

export interface SalesInquiryInput {
  readonly inquiryId: string
  readonly firstName: string
  readonly lastName: string
  /** The requester's address. */
  readonly email: string
  readonly message?: string | null | undefined
  /** When the inquiry was stored, shown as given (ISO 8601 in UTC). */
  readonly receivedAt: string
}

/** To the sales team; everything but the app name comes from the contact-sales form. */
export const salesInquiryEmail = (context: TemplateContext, input: SalesInquiryInput): RenderedTemplate => {
  const name = oneLine(`${input.firstName} ${input.lastName}`)
  const subject = `New sales inquiry from ${name} - ${context.appName}`
  const intro = `${name} asked the sales team to get in touch through the contact-sales form.`
  const rows = [
    ["Name", name],
    ["Email", input.email],
    ["Received (UTC)", input.receivedAt],
    ["Inquiry ID", input.inquiryId]
  ] as const
  const message = present(input.message)
  const noMessage = "(no message)"
  const reply = `Reply to this email to answer ${name} directly.`
  return {
    subject: oneLine(subject),
    html: layout(
      context,
      subject,
      html`<h2>New sales inquiry</h2>
${paragraph(intro)}
${detailsTable(rows)}
<h3>Message</h3>
${message === null ? paragraph(noMessage) : html`<div style="${styles.quote}">${message}</div>`}
${paragraph(reply)}`
    ),
    text: textLayout(context, [
      "New sales inquiry",
      "",
      intro,
      "",
      ...detailsText(rows),
      "",
      "Message:",
      message ?? noMessage,
      "",
      reply
    ])
  }
}

// --- Operator alerts ---------------------------------------------------------------------------------

const maxBodyLength = 20_000

const clip = (body: string) =>
  body.length <= maxBodyLength
    ? body
    : `${body.slice(0, maxBodyLength)}\n… (truncated, ${body.length} characters in total)`

const epochMillis = (at: Date | DateTime.DateTime) => at instanceof Date ? at.getTime() : DateTime.toEpochMillis(at)

/** ISO 8601 in UTC, whatever the time zone of the machine or of a zoned `DateTime`. */
export const utcIsoTimestamp = (at: Date | DateTime.DateTime): string => {
  const millis = epochMillis(at)
  return Number.isFinite(millis) ? new Date(millis).toISOString() : "unknown"
}

const alertYear = (at: Date | DateTime.DateTime) => {
  const millis = epochMillis(at)
  return Number.isFinite(millis) ? new Date(millis).getUTCFullYear() : new Date().getUTCFullYear()
}

export interface DlqAlertInput {
  /** The queue the message failed on (or its dead-letter queue). */
  readonly queue: string
  readonly attemptCount: number
  readonly errorMessage: string | null
  readonly at: Date | DateTime.DateTime
  /** Already redacted by the caller; it is still escaped here. */
  readonly messageBody: string
}

export const dlqAlertEmail = (context: AlertContext, input: DlqAlertInput): RenderedTemplate => {
  const subject = `[${context.appName} ALERT] DLQ: ${input.queue}`
  const layoutContext = { appName: context.appName, year: alertYear(input.at) }
  const rows = [
    ["Queue", input.queue],
    ["Attempt count", String(input.attemptCount)],
    ["Error", present(input.errorMessage) ?? "(none recorded)"],
    ["Timestamp (UTC)", utcIsoTimestamp(input.at)],
    ["Environment", context.environment]
  ] as const
  const intro = "A message was moved to the dead-letter queue after its last attempt."
  const action = "Please investigate, then replay or discard it from the admin DLQ view."
  const body = clip(input.messageBody)
  return {
    subject: oneLine(subject),
    html: layout(
      layoutContext,
      subject,
      html`<h2>Dead-letter queue alert</h2>
${paragraph(intro)}
${detailsTable(rows)}
<h3>Message body</h3>
<pre style="${styles.pre}">${body}</pre>
${paragraph(action)}`
    ),
    text: textLayout(layoutContext, [
      `[${context.appName} ALERT] Dead-letter queue alert`,
      "",
      intro,
      "",
      "DETAILS",
      ...detailsText(rows),
      "",
      "MESSAGE BODY",
      body,
      "",
      action
    ])
  }
}

export interface ValidationErrorItem {
  /** Where in the payload, e.g. `purpose` or `to.0.email`; empty for the payload itself. */
  readonly path: string
  readonly message: string
}

const errorPath = (error: ValidationErrorItem) => error.path === "" ? "(payload)" : error.path

export interface InvalidPayloadAlertInput {
  readonly queue: string
  readonly at: Date | DateTime.DateTime
  /** Already redacted by the caller; it is still escaped here. */
  readonly messageBody: string
  readonly validationErrors: ReadonlyArray<ValidationErrorItem>
}

export const invalidPayloadAlertEmail = (context: AlertContext, input: InvalidPayloadAlertInput): RenderedTemplate => {
  const subject = `[${context.appName} ALERT] Invalid Payload: ${input.queue}`
  const layoutContext = { appName: context.appName, year: alertYear(input.at) }
  const rows = [
    ["Queue", input.queue],
    ["Timestamp (UTC)", utcIsoTimestamp(input.at)],
    ["Environment", context.environment],
    ["Error count", String(input.validationErrors.length)]
  ] as const
  const intro = "A message failed schema validation. This points to a bug in the service that published it."
  const body = clip(input.messageBody)
  return {
    subject: oneLine(subject),
    html: layout(
      layoutContext,
      subject,
      html`<h2>Invalid payload alert</h2>
${paragraph(intro)}
${detailsTable(rows)}
<h3>Validation errors</h3>
<ul>${input.validationErrors.map((error) => html`<li><code>${errorPath(error)}</code>: ${error.message}</li>`)}</ul>
<h3>Message body</h3>
<pre style="${styles.pre}">${body}</pre>`
    ),
    text: textLayout(layoutContext, [
      `[${context.appName} ALERT] Invalid payload alert`,
      "",
      intro,
      "",
      "DETAILS",
      ...detailsText(rows),
      "",
      "VALIDATION ERRORS",
      ...input.validationErrors.map((error) => `- ${errorPath(error)}: ${error.message}`),
      "",
      "MESSAGE BODY",
      body
    ])
  }
}
