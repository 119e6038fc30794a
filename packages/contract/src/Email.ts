/**
 * Email addresses as CueBX stores and compares them: trimmed and lowercased as a whole (the
 * reference kept the local part's case, which allowed duplicate accounts), then validated.
 */
import { Schema, SchemaTransformation } from "effect"

const specialUseDomains = /\.(test|local|localhost|invalid|onion|arpa)$/i
const shape = /^[^\s@"(),:;<>[\]\\]+@[^\s@"(),:;<>[\]\\]+\.[^\s@"(),:;<>[\]\\.]{2,}$/

/** The canonical form of an address, or `undefined` when it is not one. */
export const normaliseEmail = (raw: string): string | undefined => {
  const email = raw.trim().toLowerCase()
  if (email.length > 254 || !shape.test(email)) return undefined
  const [local = "", domain = ""] = email.split("@")
  if (local.length > 64 || local.startsWith(".") || local.endsWith(".") || local.includes("..")) return undefined
  if (domain.split(".").some((label) => label === "" || label.startsWith("-") || label.endsWith("-"))) return undefined
  if (specialUseDomains.test(domain)) return undefined
  return email
}

export const EmailAddress = Schema.String.pipe(
  Schema.decodeTo(
    Schema.String.check(
      Schema.makeFilter((email: string) => normaliseEmail(email) === email || "value is not a valid email address")
    ),
    SchemaTransformation.transform({ decode: (raw: string) => raw.trim().toLowerCase(), encode: (email) => email })
  )
).annotate({ format: "email", description: "An email address; stored lowercased" })
