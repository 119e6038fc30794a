/**
 * What every panel route shares: finding the operator's session from the cookie (no session: a
 * redirect to the sign-in page), refusing any form post that is cross-site or lacks the session's
 * CSRF token, reading form fields, and answering HTML with the panel's security headers (a strict
 * Content-Security-Policy, no framing, no referrer leaving the panel).
 */
import { ClientIp } from "@cuebx/ratelimit"
import { Effect, Option } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse, UrlParams } from "effect/http"
import { type AdminSession, AdminSessions } from "./AdminSessions.ts"
import type { Flash, Operator } from "./PanelHtml.ts"

export const panelSecurityHeaders = {
  "content-security-policy":
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin"
} as const

export const htmlResponse = (body: string, status = 200) =>
  HttpServerResponse.text(body, { status, contentType: "text/html; charset=utf-8", headers: panelSecurityHeaders })

/** 303: after a form post the browser loads the target with GET. */
export const seeOther = (location: string) =>
  HttpServerResponse.redirect(location, { status: 303, headers: panelSecurityHeaders })

/** Only a path of this panel may be the target of a redirect after sign-in (no open redirect). */
export const safeNext = (next: string | undefined) =>
  next !== undefined && /^\/admin(\/[^/\\]|$|\?)/.test(next) && !next.includes("//") ? next : "/admin"

export interface OperatorRequest {
  readonly session: AdminSession
  readonly operator: Operator
  readonly clientIp: string
  readonly request: HttpServerRequest.HttpServerRequest
}

export class CrossSiteRequest extends Error {}

/** Browsers say where a request comes from; a post from another site is refused whatever it carries. */
const isCrossSite = (request: HttpServerRequest.HttpServerRequest) => {
  const site = request.headers["sec-fetch-site"]
  if (site !== undefined && site !== "same-origin" && site !== "none") return true
  const origin = request.headers["origin"]
  const host = request.headers["host"]
  if (origin === undefined || origin === "null") return origin === "null"
  try {
    return new URL(origin).host !== host
  } catch {
    return true
  }
}

const refused = (status: number, text: string) => htmlResponse(`<!DOCTYPE html><p>${text}</p>`, status)

export const flashOf = (request: HttpServerRequest.HttpServerRequest, messages: Readonly<Record<string, Flash>>) => {
  const key = new URL(request.url, "http://panel").searchParams.get("notice")
  return key === null ? undefined : messages[key]
}

export const queryOf = (request: HttpServerRequest.HttpServerRequest) =>
  new URL(request.url, "http://panel").searchParams

/** A positive page number from `?page=`, 1 by default. */
export const pageOf = (request: HttpServerRequest.HttpServerRequest) => {
  const page = Number(queryOf(request).get("page") ?? "1")
  return Number.isSafeInteger(page) && page >= 1 && page <= 100_000 ? page : 1
}

export const pathParam = (name: string) => Effect.map(HttpRouter.params, (params) => params[name] ?? "")

const operatorOf = (session: AdminSession): Operator => ({
  username: session.username,
  csrfToken: session.csrfToken
})

/** The signed-in operator's request, or a redirect to the sign-in page. */
export const signedIn = <E, R>(
  handle: (operator: OperatorRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const sessions = yield* AdminSessions
    const clientIp = yield* Effect.flatMap(ClientIp, (ip) => ip.current)
    const session = yield* sessions.current(request.cookies[sessions.settings.cookieName] ?? "")
    if (Option.isNone(session)) {
      const next = request.method === "GET" ? request.url : "/admin"
      return seeOther(`/admin/login?next=${encodeURIComponent(next)}`)
    }
    return yield* handle({ session: session.value, operator: operatorOf(session.value), clientIp, request })
  })

/**
 * A form post of the signed-in operator: same-origin and carrying the session's CSRF token, or
 * refused (403) before anything happens.
 */
export const signedInForm = <E, R>(
  handle: (
    operator: OperatorRequest,
    form: UrlParams.UrlParams
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) =>
  signedIn((operator) =>
    Effect.gen(function*() {
      if (isCrossSite(operator.request)) return refused(403, "Cross-site requests are refused.")
      const form = yield* operator.request.urlParamsBody.pipe(Effect.orElseSucceed(() => UrlParams.empty))
      const sessions = yield* AdminSessions
      if (!sessions.isCsrfToken(operator.session, field(form, "_csrf") ?? "")) {
        yield* Effect.logWarning("Admin form refused: missing or wrong CSRF token", {
          username: operator.session.username,
          client_ip: operator.clientIp
        })
        return refused(403, "This form has expired. Go back, reload the page and try again.")
      }
      return yield* handle(operator, form)
    })
  )

export const isCrossSitePost = isCrossSite

export const field = (form: UrlParams.UrlParams, name: string): string | undefined => {
  const value = form.params.find(([key]) => key === name)?.[1]
  return typeof value === "string" ? value : undefined
}
