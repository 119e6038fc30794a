/**
 * The workspace emails: an invitation to join a workspace, and a contact-sales inquiry for the
 * sales team.
 */
import {
  button,
  detailsTable,
  detailsText,
  html,
  layout,
  oneLine,
  paragraph,
  plural,
  present,
  type RenderedTemplate,
  styles,
  type TemplateContext,
  textLayout
} from "./EmailLayout.ts"

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
