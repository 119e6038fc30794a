/**
 * Helpers for the panel's HTTP tests: signing in through the panel's own forms (the session
 * cookie and the CSRF token its pages carry), and GETs and form posts with that session.
 */
import { rawRequest } from "@cuebx/testing"
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { HttpServer } from "effect/http"

export const adminPassword = "panel-http-admin-password-0123456789"

export interface PanelSession {
  /** `session=…`, for the `Cookie` header. */
  readonly cookie: string
  readonly csrf: string
}

const cookieOf = (response: Response, name: string) =>
  response.headers.getSetCookie().map((cookie) => cookie.split(";")[0]!).find((cookie) =>
    cookie.startsWith(`${name}=`)
  )!

/** Signs in through the panel's form with `adminPassword`. */
export const signInPanel = Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const base = "port" in server.address ? `http://127.0.0.1:${server.address.port}` : ""
  return yield* Effect.promise(async (): Promise<PanelSession> => {
    const form = await fetch(`${base}/admin/login`)
    const formToken = /name="_login" value="([^"]+)"/.exec(await form.text())![1]!
    const signedIn = await fetch(`${base}/admin/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieOf(form, "cuebx_admin_login") },
      body: new URLSearchParams({ _login: formToken, username: "admin", password: adminPassword, next: "/admin" })
    })
    assert.strictEqual(signedIn.status, 303)
    const cookie = cookieOf(signedIn, "session")
    const dashboard = await fetch(`${base}/admin/audit`, { headers: { cookie } })
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await dashboard.text())![1]!
    return { cookie, csrf }
  })
})

export const panelGet = (session: PanelSession, path: string) =>
  rawRequest("GET", path, { headers: { cookie: session.cookie } })

/** A form post with the session and, unless `csrf` is false, its CSRF token. */
export const panelPost = (
  session: PanelSession,
  path: string,
  fields: Readonly<Record<string, string>>,
  options: { readonly csrf?: boolean } = {}
) =>
  rawRequest("POST", path, {
    headers: { cookie: session.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...(options.csrf === false ? {} : { _csrf: session.csrf }), ...fields }).toString()
  })

/** The text of the page's flash message, unescaped. */
export const flashText = (html: string) => {
  const match = /<p class="flash [a-z]+" role="status">([^<]*)<\/p>/.exec(html)
  return match === null ? undefined : unescapeHtml(match[1]!)
}

export const unescapeHtml = (text: string) =>
  text.replaceAll("&quot;", "\"").replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&")

/** The newest audit entries of a record, as the database keeps them. */
export interface AuditRow {
  readonly actor: string
  readonly action: string
  readonly reason: string | null
  readonly before: Record<string, unknown> | null
  readonly after: Record<string, unknown> | null
}
