/**
 * The operators' alert of a message dead-lettered after its last attempt. Bodies are redacted by
 * the caller, escaped here, and clipped.
 */
import { DateTime } from "effect"
import {
  type AlertContext,
  detailsTable,
  detailsText,
  html,
  layout,
  oneLine,
  paragraph,
  present,
  type RenderedTemplate,
  styles,
  textLayout
} from "./EmailLayout.ts"

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

const alertYear = (at: DateTime.DateTime) => DateTime.getPartUtc(at, "year")

export interface DlqAlertInput {
  /** The queue the message failed on (or its dead-letter queue). */
  readonly queue: string
  readonly attemptCount: number
  readonly errorMessage: string | null
  readonly at: DateTime.DateTime
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
