/**
 * Authentication of the admin API (`/admin/api/*`): HTTP Basic for scripts, on the same credential
 * check as the panel's sign-in form (`AdminLogins`: constant-time, failures limited per address
 * and per username, refusals logged without the password), or the panel's session cookie for the
 * browser; a state-changing call on the cookie must also carry the session's CSRF token in
 * `X-CSRF-Token`, which no other site can send.
 */
import { AdminAuthentication, Forbidden, TooManyRequests, Unauthorized } from "@cuebx/contract"
import { ClientIp } from "@cuebx/ratelimit"
import { Effect, Layer, Option, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { AdminLogins } from "./AdminLogins.ts"
import { AdminSessions } from "./panel/AdminSessions.ts"

const unauthorized = () => new Unauthorized({ detail: "Admin authentication required." })

const isSafeMethod = (method: string) => method === "GET" || method === "HEAD" || method === "OPTIONS"

export const AdminAuthenticationLive = Layer.effect(
  AdminAuthentication,
  Effect.gen(function*() {
    const logins = yield* AdminLogins
    const sessions = yield* AdminSessions
    const clientIp = yield* ClientIp

    /** The panel's session, when the request carries one (and its CSRF token for a change). */
    const bySession = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const session = yield* sessions.current(request.cookies[sessions.settings.cookieName] ?? "")
      if (Option.isNone(session)) return false
      if (
        !isSafeMethod(request.method) && !sessions.isCsrfToken(session.value, request.headers["x-csrf-token"] ?? "")
      ) {
        return yield* new Forbidden({ detail: "Missing or wrong X-CSRF-Token." })
      }
      return true
    })

    const authenticate = Effect.fn("AdminAuthentication.basic")(
      function*(credential: { readonly username: string; readonly password: Redacted.Redacted<string> }) {
        const address = yield* clientIp.current
        const username = credential.username
        const password = Redacted.value(credential.password)
        // No Authorization header: a browser of the panel, or nothing was guessed.
        if (username === "" && password === "") {
          if (yield* bySession) return
          yield* Effect.logInfo("Admin authentication refused: no credentials", { client_ip: address })
          return yield* unauthorized()
        }
        yield* logins.verify({ username, password }, address).pipe(
          Effect.catchTags({
            AdminCredentialsRefused: () => Effect.fail(unauthorized()),
            AdminLoginThrottled: (error) => Effect.fail(TooManyRequests.rateLimited(error.retryAfterSeconds))
          })
        )
      }
    )

    return AdminAuthentication.of({
      basic: (httpEffect, { credential }) => Effect.andThen(authenticate(credential), httpEffect)
    })
  })
)
