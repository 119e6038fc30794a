/**
 * HTTP Basic for the admin API: `ADMIN_USERNAME` / `ADMIN_PASSWORD`, compared in constant time
 * (digests of equal length, so neither the length nor a prefix of a secret leaks through timing).
 * Failed attempts are counted per client address and per username; while either is over its
 * limit every attempt is refused with 429 before the credentials are compared, so a guess that
 * happens to be right teaches nothing. Each refusal is logged with the username and the client
 * address, never the password.
 */
import { AdminCredentials } from "@cuebx/config"
import { AdminAuthentication, TooManyRequests, Unauthorized } from "@cuebx/contract"
import { ClientIp, RateLimiter, rateLimitKey, type RateLimitRule } from "@cuebx/ratelimit"
import { Effect, Layer, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AdminLoginLimits } from "./AdminSettings.ts"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

const unauthorized = () => new Unauthorized({ detail: "Admin authentication required." })

export const AdminAuthenticationLive = Layer.effect(
  AdminAuthentication,
  Effect.gen(function*() {
    const credentials = yield* AdminCredentials
    const limits = yield* AdminLoginLimits
    const limiter = yield* RateLimiter
    const clientIp = yield* ClientIp
    const expectedPassword = Redacted.value(credentials.password)
    const perAddress: RateLimitRule = { limit: limits.failuresPerAddress, window: limits.window }
    const perUsername: RateLimitRule = { limit: limits.failuresPerUsername, window: limits.window }

    const failureBuckets = (address: string, username: string) =>
      [
        [rateLimitKey("admin_login_failures", "ip", address), perAddress],
        [rateLimitKey("admin_login_failures", "username", username.toLowerCase()), perUsername]
      ] as const

    const authenticate = Effect.fn("AdminAuthentication.basic")(
      function*(credential: { readonly username: string; readonly password: Redacted.Redacted<string> }) {
        const address = yield* clientIp.current
        const username = credential.username
        const password = Redacted.value(credential.password)
        // No Authorization header (a browser's first request): nothing was guessed.
        if (username === "" && password === "") {
          yield* Effect.logInfo("Admin authentication refused: no credentials", { client_ip: address })
          return yield* unauthorized()
        }
        const buckets = failureBuckets(address, username)
        const over = (yield* Effect.forEach(buckets, ([key, rule]) => limiter.peek(key, rule)))
          .filter((decision) => !decision.allowed)
        if (over.length > 0) {
          const retryAfterSeconds = Math.max(...over.map((decision) => decision.retryAfterSeconds))
          yield* Effect.logWarning("Admin authentication refused: too many failed attempts", {
            username,
            client_ip: address,
            retry_after_seconds: retryAfterSeconds
          })
          return yield* TooManyRequests.rateLimited(retryAfterSeconds)
        }
        // Both comparisons always run: which one failed must not show in the timing.
        const usernameOk = sameSecret(username, credentials.username)
        const passwordOk = sameSecret(password, expectedPassword)
        if (usernameOk && passwordOk) return
        yield* Effect.forEach(buckets, ([key, rule]) => limiter.consume(key, rule), { discard: true })
        yield* Effect.logWarning("Admin authentication refused: wrong credentials", {
          username,
          client_ip: address
        })
        return yield* unauthorized()
      }
    )

    return AdminAuthentication.of({
      basic: (httpEffect, { credential }) => Effect.andThen(authenticate(credential), httpEffect)
    })
  })
)
