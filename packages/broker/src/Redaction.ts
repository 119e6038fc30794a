/**
 * What of a message may be shown to people (the admin DLQ views, alert emails): secret-looking
 * fields are replaced, tokens in URLs are cut, sealed values are hidden.
 */
const secretKey = /otp|token|password|secret|api[_-]?key|authorization|credential|invitation_link|code$/i
const redacted = "[REDACTED]"

const redactString = (value: string) =>
  value.startsWith("sealed:v1:") ? redacted : value.replace(/([?&#](?:token|code|key)=)[^&#\s"]+/gi, `$1${redacted}`)

export const redactValue = (value: unknown, key?: string): unknown => {
  if (key !== undefined && secretKey.test(key) && value !== null && value !== undefined) return redacted
  if (typeof value === "string") return redactString(value)
  if (Array.isArray(value)) return value.map((item) => redactValue(item))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([field, inner]) => [field, redactValue(inner, field)]))
  }
  return value
}

/** A message body (JSON, or anything else) with its secrets replaced. */
export const redactBody = (body: string): string => {
  try {
    return JSON.stringify(redactValue(JSON.parse(body)))
  } catch {
    return redactString(body)
  }
}
