/**
 * The check of `X-Internal-API-Key` against `INTERNAL_API_SECRET`, shared by the REST middleware
 * and the RPC's: in constant time (both sides hashed to the same length first, so neither the
 * secret's length nor any prefix leaks), whatever characters the header holds.
 */
import { InternalApiSecret } from "@cuebx/config"
import { Effect, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"

export type InternalKeyCheck = "missing" | "invalid" | "valid"

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest()

/** The checker for the configured secret. */
export const internalKeyCheck = Effect.map(InternalApiSecret.config, (secret) => {
  const expected = digest(Redacted.value(secret))
  return (given: string | undefined): InternalKeyCheck =>
    given === undefined || given === "" ? "missing" : timingSafeEqual(digest(given), expected) ? "valid" : "invalid"
})
