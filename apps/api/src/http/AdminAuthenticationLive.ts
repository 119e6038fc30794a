/**
 * HTTP Basic for the admin API: `ADMIN_USERNAME` / `ADMIN_PASSWORD`, compared in constant time
 * (digests of equal length, so neither the length nor a prefix of a secret leaks through timing).
 */
import { AdminCredentials } from "@cuebx/config"
import { AdminAuthentication, Unauthorized } from "@cuebx/contract"
import { Effect, Layer, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

export const AdminAuthenticationLive = Layer.effect(
  AdminAuthentication,
  Effect.gen(function*() {
    const credentials = yield* AdminCredentials
    const expectedPassword = Redacted.value(credentials.password)
    return AdminAuthentication.of({
      basic: (httpEffect, { credential }) => {
        const usernameOk = sameSecret(credential.username, credentials.username)
        const passwordOk = sameSecret(Redacted.value(credential.password), expectedPassword)
        return usernameOk && passwordOk
          ? httpEffect
          : Effect.fail(new Unauthorized({ detail: "Admin authentication required." }))
      }
    })
  })
)
