/**
 * The billing emails: a subscription activated or canceled, and a failed payment with what to do
 * about it.
 */
import {
  button,
  detailsTable,
  detailsText,
  html,
  layout,
  oneLine,
  paragraph,
  present,
  type RenderedTemplate,
  type TemplateContext,
  textLayout
} from "./EmailLayout.ts"

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
