/**
 * Signing in and out of the panel. The sign-in form is protected against cross-site posts by the
 * same-origin check and a double-submit token (a random value in a short-lived cookie and in the
 * form); the credentials go through `AdminSessions` (rate limited, constant-time, logged without
 * the password). Signing out revokes the session server-side and clears the cookie.
 */
import { isProduction } from "@cuebx/config"
import { ClientIp } from "@cuebx/ratelimit"
import { DateTime, Effect, Option } from "effect"
import { HttpServerRequest, HttpServerResponse, UrlParams } from "effect/http"
import { randomBytes, timingSafeEqual } from "node:crypto"
import { AdminSessions } from "../AdminSessions.ts"
import { html, page } from "../PanelHtml.ts"
import { field, htmlResponse, isCrossSitePost, queryOf, safeNext, seeOther, signedInForm } from "../PanelRequests.ts"

const loginCookie = "cuebx_admin_login"

const sameValue = (a: string, b: string) =>
  a.length === b.length && a.length > 0 && timingSafeEqual(Buffer.from(a), Buffer.from(b))

const signInPage = (options: { readonly next: string; readonly formToken: string; readonly error?: string }) =>
  page({
    title: "Sign in",
    operator: undefined,
    nav: [],
    ...(options.error === undefined ? {} : { flash: { kind: "error" as const, text: options.error } }),
    content: html`<form class="login" method="post" action="/admin/login">
<input type="hidden" name="_login" value="${options.formToken}">
<input type="hidden" name="next" value="${options.next}">
<label>Username <input type="text" name="username" autocomplete="username" required autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`
  })

const withLoginCookie = (response: HttpServerResponse.HttpServerResponse, token: string, production: boolean) =>
  HttpServerResponse.setCookieUnsafe(response, loginCookie, token, {
    httpOnly: true,
    secure: production,
    sameSite: "strict",
    path: "/admin/login",
    maxAge: "30 minutes"
  })

/** GET /admin/login: the form (or the panel, when already signed in). */
export const signInForm = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const sessions = yield* AdminSessions
  const production = yield* isProduction
  const next = safeNext(queryOf(request).get("next") ?? undefined)
  const current = yield* sessions.current(request.cookies[sessions.settings.cookieName] ?? "")
  if (Option.isSome(current)) return seeOther(next)
  const formToken = randomBytes(24).toString("base64url")
  return withLoginCookie(htmlResponse(signInPage({ next, formToken })), formToken, production)
})

/** POST /admin/login. */
export const signIn = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const sessions = yield* AdminSessions
  const production = yield* isProduction
  const clientIp = yield* Effect.flatMap(ClientIp, (ip) => ip.current)
  const form = yield* request.urlParamsBody.pipe(Effect.orElseSucceed(() => UrlParams.empty))
  const next = safeNext(field(form, "next"))
  const again = (status: number, error: string, headers: Record<string, string> = {}) => {
    const formToken = randomBytes(24).toString("base64url")
    return withLoginCookie(
      HttpServerResponse.setHeaders(htmlResponse(signInPage({ next, formToken, error }), status), headers),
      formToken,
      production
    )
  }
  if (isCrossSitePost(request) || !sameValue(field(form, "_login") ?? "", request.cookies[loginCookie] ?? "")) {
    return again(403, "This sign-in form has expired. Please sign in again.")
  }
  return yield* sessions.signIn({
    username: field(form, "username") ?? "",
    password: field(form, "password") ?? "",
    clientIp,
    userAgent: request.headers["user-agent"] ?? null
  }).pipe(
    Effect.map(({ session, token }) =>
      HttpServerResponse.expireCookieUnsafe(
        HttpServerResponse.setCookieUnsafe(seeOther(next), sessions.settings.cookieName, token, {
          httpOnly: true,
          secure: production,
          sameSite: sessions.settings.sameSite,
          path: "/admin",
          expires: DateTime.toDateUtc(session.expiresAt)
        }),
        loginCookie,
        { path: "/admin/login" }
      )
    ),
    Effect.catchTags({
      AdminCredentialsRefused: () => Effect.succeed(again(401, "Wrong username or password.")),
      AdminLoginThrottled: (error) =>
        Effect.succeed(
          again(429, `Too many failed sign-ins. Try again in ${error.retryAfterSeconds} seconds.`, {
            "retry-after": String(error.retryAfterSeconds)
          })
        )
    })
  )
})

/** POST /admin/logout. */
export const signOut = signedInForm(({ request }) =>
  Effect.gen(function*() {
    const sessions = yield* AdminSessions
    yield* sessions.signOut(request.cookies[sessions.settings.cookieName] ?? "")
    return HttpServerResponse.expireCookieUnsafe(seeOther("/admin/login"), sessions.settings.cookieName, {
      path: "/admin"
    })
  })
)
