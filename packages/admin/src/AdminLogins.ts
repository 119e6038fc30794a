/**
 * Checking an operator's credentials (`ADMIN_USERNAME` / `ADMIN_PASSWORD`), for HTTP Basic on the
 * admin API and for the panel's sign-in form alike. Comparisons are constant-time (digests of
 * equal length, so neither the length nor a prefix of a secret leaks through timing). Failed
 * attempts are counted per client address and per username; while either is over its limit
 * every attempt is refused before the credentials are compared, so a guess that happens to be
 * right teaches nothing. Each refusal is logged with the username and the client address, never
 * the password.
 */
import { AdminCredentials } from "@cuebx/config"
import { RateLimiter, rateLimitKey, type RateLimitRule } from "@cuebx/ratelimit"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AdminLoginLimits } from "./AdminSettings.ts"

export class AdminCredentialsRefused extends Schema.TaggedError<AdminCredentialsRefused>()(
  "AdminCredentialsRefused",
  {}
) {}

export class AdminLoginThrottled extends Schema.TaggedError<AdminLoginThrottled>()("AdminLoginThrottled", {
  retryAfterSeconds: Schema.Int
}) {}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

export class AdminLogins extends Context.Service<AdminLogins, {
  /** Passes for the operator's credentials; otherwise counts the failure. */
  verify(
    credentials: { readonly username: string; readonly password: string },
    clientIp: string
  ): Effect.Effect<void, AdminCredentialsRefused | AdminLoginThrottled>
}>()("@cuebx/admin/AdminLogins") {
  static readonly layer = Layer.effect(
    AdminLogins,
    Effect.gen(function*() {
      const credentials = yield* AdminCredentials
      const limits = yield* AdminLoginLimits
      const limiter = yield* RateLimiter
      const expectedPassword = Redacted.value(credentials.password)
      const perAddress: RateLimitRule = { limit: limits.failuresPerAddress, window: limits.window }
      const perUsername: RateLimitRule = { limit: limits.failuresPerUsername, window: limits.window }

      const failureBuckets = (address: string, username: string) =>
        [
          [rateLimitKey("admin_login_failures", "ip", address), perAddress],
          [rateLimitKey("admin_login_failures", "username", username.toLowerCase()), perUsername]
        ] as const

      const verify = Effect.fn("AdminLogins.verify")(function*(
        given: { readonly username: string; readonly password: string },
        clientIp: string
      ) {
        const buckets = failureBuckets(clientIp, given.username)
        const over = (yield* Effect.forEach(buckets, ([key, rule]) => limiter.peek(key, rule)))
          .filter((decision) => !decision.allowed)
        if (over.length > 0) {
          const retryAfterSeconds = Math.max(...over.map((decision) => decision.retryAfterSeconds))
          yield* Effect.logWarning("Admin authentication refused: too many failed attempts", {
            username: given.username,
            client_ip: clientIp,
            retry_after_seconds: retryAfterSeconds
          })
          return yield* new AdminLoginThrottled({ retryAfterSeconds })
        }
        // Both comparisons always run: which one failed must not show in the timing.
        const usernameOk = sameSecret(given.username, credentials.username)
        const passwordOk = sameSecret(given.password, expectedPassword)
        if (usernameOk && passwordOk) return
        yield* Effect.forEach(buckets, ([key, rule]) => limiter.consume(key, rule), { discard: true })
        yield* Effect.logWarning("Admin authentication refused: wrong credentials", {
          username: given.username,
          client_ip: clientIp
        })
        return yield* new AdminCredentialsRefused()
      })

      return AdminLogins.of({ verify })
    })
  )
}
