/**
 * What every email shares: the contexts templates render in, the `html` tag that escapes every
 * interpolation unless it is already `SafeHtml`, the one HTML layout and its plain-text twin,
 * and the small building blocks (paragraphs, detail tables, buttons) the templates compose.
 */

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

export class SafeHtml {
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString() {
    return this.value
  }
}

export type HtmlValue = SafeHtml | string | number | null | undefined | ReadonlyArray<HtmlValue>

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

export const html = (strings: TemplateStringsArray, ...values: ReadonlyArray<HtmlValue>): SafeHtml =>
  new SafeHtml(strings.reduce((out, chunk, index) => out + renderValue(values[index - 1]) + chunk, ""))

/** Only http(s) links become clickable; anything else (a `javascript:` URL, a typo) stays text. */
const isWebLink = (url: string) => /^https?:\/\/[^\s]+$/i.test(url.trim())

// --- Shared layout -------------------------------------------------------------------------------

export const styles = {
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

export const layout = (context: TemplateContext, title: string, content: SafeHtml): string =>
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

export const textLayout = (context: TemplateContext, lines: ReadonlyArray<string>): string =>
  [
    ...lines,
    "",
    "---",
    `This is an automated message from ${context.appName}.`,
    `© ${context.year} ${context.appName}. All rights reserved.`,
    ""
  ].join("\n")

export const paragraph = (...parts: ReadonlyArray<HtmlValue>) => html`<p>${parts}</p>`

export const detailsTable = (rows: ReadonlyArray<readonly [string, string | null]>) =>
  html`<table role="presentation" style="margin:16px 0;border-collapse:collapse;">${
    rows.filter((row): row is readonly [string, string] => row[1] !== null).map(([label, value]) =>
      html`<tr><td style="${styles.label}">${label}</td><td><strong>${value}</strong></td></tr>`
    )
  }</table>`

export const detailsText = (rows: ReadonlyArray<readonly [string, string | null]>) =>
  rows.filter((row): row is readonly [string, string] => row[1] !== null).map(([label, value]) =>
    `- ${label}: ${value}`
  )

export const button = (href: string, label: string) =>
  isWebLink(href)
    ? html`<p style="margin:24px 0;"><a href="${href.trim()}" style="${styles.button}">${label}</a></p>
<p style="font-size:13px;color:#52606d;">If the button does not work, copy this link into your browser:<br>${href.trim()}</p>`
    : html`<p>${label}: ${href}</p>`

/** Subjects are one line: a newline in a name must not break the header. */
export const oneLine = (value: string) => value.replace(/\s+/g, " ").trim()

export const present = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? null : trimmed
}

export const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"}`
