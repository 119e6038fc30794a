/**
 * Who gets into the admin side: without the admin session no panel page or form answers anything
 * but a redirect to the sign-in page, and no admin API route anything but 401; with the session
 * cookie the API answers, but a change also needs the session's CSRF token.
 */
import { adminPanelRoutes } from "@cuebx/admin"
import { CuebxApi } from "@cuebx/contract"
import { rawRequest } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { HttpServer } from "effect/http"
import { HttpApi } from "effect/http-api"
import { apiTestLayer } from "../support.ts"

const adminPassword = "access-test-admin-password-0123456789"

const openPaths = new Set(["GET /admin/login", "POST /admin/login", "GET /admin/assets/panel.css"])

const concrete = (path: string) => path.replace(/:[a-z_]+/g, crypto.randomUUID())

const adminApiEndpoints: Array<{ readonly method: string; readonly path: string }> = []
HttpApi.reflect(CuebxApi, {
  onGroup: () => undefined,
  onEndpoint: ({ endpoint }) => {
    if (endpoint.path.startsWith("/admin/")) adminApiEndpoints.push({ method: endpoint.method, path: endpoint.path })
  }
})

const cookieOf = (response: Response, name: string) =>
  response.headers.getSetCookie().map((cookie) => cookie.split(";")[0]!).find((cookie) =>
    cookie.startsWith(`${name}=`)
  )!

/** Signs in through the panel's form; returns the session cookie and the CSRF token of its pages. */
const signIn = Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const base = "port" in server.address ? `http://127.0.0.1:${server.address.port}` : ""
  return yield* Effect.promise(async () => {
    const form = await fetch(`${base}/admin/login`)
    const formToken = /name="_login" value="([^"]+)"/.exec(await form.text())![1]!
    const signedIn = await fetch(`${base}/admin/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieOf(form, "cuebx_admin_login") },
      body: new URLSearchParams({ _login: formToken, username: "admin", password: adminPassword, next: "/admin" })
    })
    assert.strictEqual(signedIn.status, 303)
    const session = cookieOf(signedIn, "session")
    const dashboard = await fetch(`${base}/admin`, { headers: { cookie: session } })
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await dashboard.text())![1]!
    return { session, csrf }
  })
})

layer(apiTestLayer({ env: { ADMIN_PASSWORD: adminPassword } }), { excludeTestServices: true })(
  "access to the admin side",
  (it) => {
    it.effect("every panel page and form redirects to the sign-in page without the session", () =>
      Effect.gen(function*() {
        const routes = adminPanelRoutes.filter((route) => !openPaths.has(`${route.method} ${route.path}`))
        assert.isAbove(routes.length, 5)
        for (const route of routes) {
          const answer = yield* rawRequest(route.method, concrete(route.path), {
            headers: { "content-type": "application/x-www-form-urlencoded" },
            ...(route.method === "POST" ? { body: "reason=x" } : {})
          })
          assert.strictEqual(answer.status, 303, `${route.method} ${route.path}`)
          assert.match(answer.headers["location"] ?? "", /^\/admin\/login(\?|$)/, `${route.method} ${route.path}`)
          assert.strictEqual(answer.headers["x-frame-options"], "DENY")
          assert.include(answer.headers["content-security-policy"] ?? "", "frame-ancestors 'none'")
        }
      }))

    it.effect("every admin API route answers 401 without credentials", () =>
      Effect.gen(function*() {
        assert.isAbove(adminApiEndpoints.length, 3)
        for (const endpoint of adminApiEndpoints) {
          const answer = yield* rawRequest(
            endpoint.method,
            concrete(endpoint.path),
            endpoint.method === "GET" || endpoint.method === "DELETE" ? {} : { body: {} }
          )
          assert.strictEqual(answer.status, 401, `${endpoint.method} ${endpoint.path}: ${answer.text}`)
          assert.deepStrictEqual(answer.json, { detail: "Admin authentication required." })
        }
      }))

    it.effect("the panel's session opens the admin API; a change through it needs the CSRF token", () =>
      Effect.gen(function*() {
        const { csrf, session } = yield* signIn
        const list = yield* rawRequest("GET", "/admin/api/dlq", { headers: { cookie: session } })
        assert.strictEqual(list.status, 200, list.text)
        const unknown = `/admin/api/dlq/${crypto.randomUUID()}/discard`
        const withoutToken = yield* rawRequest("POST", unknown, { headers: { cookie: session }, body: {} })
        assert.deepStrictEqual([withoutToken.status, withoutToken.json], [403, {
          detail: "Missing or wrong X-CSRF-Token."
        }])
        const withToken = yield* rawRequest("POST", unknown, {
          headers: { cookie: session, "x-csrf-token": csrf },
          body: {}
        })
        assert.strictEqual(withToken.status, 404, withToken.text)
        const page = yield* rawRequest("GET", "/admin/users", { headers: { cookie: session } })
        assert.strictEqual(page.status, 200)
        assert.include(page.headers["content-type"] ?? "", "text/html")
        assert.strictEqual(page.headers["referrer-policy"], "same-origin")
        assert.strictEqual(page.headers["cache-control"], "no-store")
      }))

    it.effect("a signed-out session opens nothing", () =>
      Effect.gen(function*() {
        const { csrf, session } = yield* signIn
        const out = yield* rawRequest("POST", "/admin/logout", {
          headers: { cookie: session, "content-type": "application/x-www-form-urlencoded" },
          body: `_csrf=${csrf}`
        })
        assert.strictEqual(out.status, 303)
        assert.strictEqual((yield* rawRequest("GET", "/admin/api/dlq", { headers: { cookie: session } })).status, 401)
        assert.strictEqual((yield* rawRequest("GET", "/admin/users", { headers: { cookie: session } })).status, 303)
      }))
  }
)
