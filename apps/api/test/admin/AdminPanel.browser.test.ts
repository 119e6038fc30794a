/**
 * The admin panel driven through a real browser (Debian's Chromium through playwright-core)
 * against the real API on real infrastructure: signing in, a refused password, finding and
 * deactivating a user, replaying a dead letter that the worker then handles, the dashboard's
 * sign-ups chart, and a forged cross-site form post. The panel's other operations, and the
 * dashboard's screenshot, are in `AdminPanelOperations.browser.test.ts`.
 */
import { makeFakeHttpServer } from "@cuebx/testing"
import { browserContext, launchBrowser } from "@cuebx/testing/Browser"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { HttpServer } from "effect/http"
import { SqlClient } from "effect/sql"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { call, password } from "../auth/support.ts"
import { apiTestLayer } from "../support.ts"
import { newUser } from "../workspaces/support.ts"

const adminPassword = "panel-test-admin-password-0123456789"

class FakeBrevo extends Context.Service<FakeBrevo, Effect.Success<ReturnType<typeof makeFakeHttpServer>>>()(
  "test/admin/FakeBrevo"
) {}

const TestLayer = Layer.unwrap(Effect.gen(function*() {
  const brevo = yield* makeFakeHttpServer("brevo", { "POST /v3/smtp/email": { status: 201, body: { messageId: "m" } } })
  return apiTestLayer({
    env: {
      ADMIN_PASSWORD: adminPassword,
      ENABLE_CONSUMERS: "true",
      BREVO_API_KEY: "test-brevo-key",
      BREVO_BASE_URL: `${brevo.url}/v3`,
      ADMIN_LOGIN_MAX_FAILURES_PER_IP: "50"
    }
  }).pipe(Layer.provideMerge(Layer.succeed(FakeBrevo, brevo)))
}))

/** The in-process API as the browser reaches it: on 127.0.0.1, so another port there is the same site. */
const baseUrl = Effect.map(
  HttpServer.HttpServer,
  (server) =>
    "port" in server.address ? `http://127.0.0.1:${server.address.port}` : HttpServer.formatAddress(server.address)
)

/** A signed-in browser page. */
const signedInPage = Effect.gen(function*() {
  const browser = yield* launchBrowser
  const context = yield* browserContext(browser, yield* baseUrl)
  const page = yield* Effect.promise(() => context.newPage())
  yield* Effect.promise(async () => {
    await page.goto("/admin")
    await page.fill("input[name=username]", "admin")
    await page.fill("input[name=password]", adminPassword)
    await Promise.all([page.waitForURL("**/admin"), page.click("button[type=submit]")])
  })
  return { browser, context, page }
})

const eventually = <A, E, R>(check: Effect.Effect<A, E, R>) =>
  check.pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo({ duration: "10 seconds" }))))

layer(TestLayer, { excludeTestServices: true, timeout: "120 seconds" })("the admin panel in a browser", (it) => {
  it.effect("refuses a wrong password, then signs in and out with the right one", () =>
    Effect.gen(function*() {
      const browser = yield* launchBrowser
      const context = yield* browserContext(browser, yield* baseUrl)
      const page = yield* Effect.promise(() => context.newPage())
      const outcome = yield* Effect.promise(async () => {
        await page.goto("/admin/users")
        const redirected = new URL(page.url()).pathname
        await page.fill("input[name=username]", "admin")
        await page.fill("input[name=password]", "not-the-password")
        const refused = await Promise.all([page.waitForResponse("**/admin/login"), page.click("button[type=submit]")])
        const refusedStatus = refused[0].status()
        const refusedText = await page.textContent(".flash")
        await page.fill("input[name=username]", "admin")
        await page.fill("input[name=password]", adminPassword)
        await Promise.all([page.waitForURL("**/admin/users"), page.click("button[type=submit]")])
        const heading = await page.textContent("h1")
        const cookie = (await context.cookies()).find((candidate) => candidate.name === "session")
        await Promise.all([page.waitForURL("**/admin/login"), page.click("form.signout button")])
        await page.goto("/admin/users")
        return { redirected, refusedStatus, refusedText, heading, cookie, after: new URL(page.url()).pathname }
      })
      assert.strictEqual(outcome.redirected, "/admin/login")
      assert.strictEqual(outcome.refusedStatus, 401)
      assert.strictEqual(outcome.refusedText, "Wrong username or password.")
      assert.strictEqual(outcome.heading, "Users")
      assert.isTrue(outcome.cookie?.httpOnly)
      assert.strictEqual(outcome.cookie?.sameSite, "Lax")
      assert.strictEqual(outcome.cookie?.path, "/admin")
      assert.strictEqual(outcome.after, "/admin/login")
    }))

  it.effect("finds a user and deactivates them: their sign-in then fails, and the audit log says who and why", () =>
    Effect.gen(function*() {
      const user = yield* newUser("panel")
      const { page } = yield* signedInPage
      yield* Effect.promise(async () => {
        await page.goto("/admin/users")
        await page.fill("input[name=q]", user.email.slice(0, 12))
        await Promise.all([page.waitForURL("**/admin/users?q=*"), page.click("form.filters button")])
        await Promise.all([page.waitForURL(`**/admin/users/${user.id}`), page.click(`text=${user.email}`)])
        await page.fill("form.action input[name=reason]", "chargeback fraud")
        await Promise.all([page.waitForURL("**notice=deactivated"), page.click("form.action button")])
      })
      const flash = yield* Effect.promise(() => page.textContent(".flash"))
      assert.strictEqual(flash, "The account is deactivated and signed out everywhere.")
      const signin = yield* call("POST", "/auth/signin", { body: { email: user.email, password } })
      assert.strictEqual(signin.status, 401)
      assert.deepStrictEqual(signin.json, { detail: "This account has been deactivated" })
      const me = yield* call("GET", "/auth/me", { token: user.token })
      assert.deepStrictEqual([me.status, me.json], [403, { detail: "User account is deactivated" }])
      const audit = yield* Effect.promise(async () => {
        await page.goto(`/admin/audit?target_id=${user.id}`)
        return page.textContent("table tbody tr")
      })
      assert.include(audit, "user.deactivate")
      assert.include(audit, "chargeback fraud")
      assert.include(audit, "{\"is_active\":false}")
    }))

  it.effect("replays a dead letter, which the worker then handles", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const brevo = yield* FakeBrevo
      const body = JSON.stringify({
        first_name: "Dead",
        last_name: "Letter",
        email: "dead.letter@example.com",
        message: "Replay me",
        to: "sales@example.com",
        inquiry_id: crypto.randomUUID(),
        received_at: "2026-12-03T08:00:00.000Z"
      })
      const [row] = yield* sql<{ readonly id: string }>`
        INSERT INTO dlq_messages (queue_name, original_queue, message_id, message_body, headers, error_message,
          attempt_count, status)
        VALUES ('sales_inquiry_emails_dead', 'sales_inquiry_emails', ${crypto.randomUUID()}, ${body}, '{}'::jsonb,
          'Brevo was down', 3, 'PENDING')
        RETURNING id`
      const { page } = yield* signedInPage
      yield* Effect.promise(async () => {
        await page.goto("/admin/dead-letters")
        await Promise.all([
          page.waitForURL(`**/admin/dead-letters/${row!.id}`),
          page.click("a[href*='sales_inquiry_emails_dead'], a:text('sales_inquiry_emails_dead')")
        ])
        await Promise.all([page.waitForURL("**notice=replayed"), page.click("form.action button:text('Replay')")])
      })
      const sent = yield* eventually(Effect.suspend(() => {
        const found = brevo.requestsTo("POST /v3/smtp/email").find((request) => request.body.includes("Replay me"))
        return found === undefined ? Effect.fail("not sent yet") : Effect.succeed(found)
      }))
      assert.include(sent.body, "dead.letter@example.com")
      const [status] = yield* sql<{ readonly status: string }>`SELECT status FROM dlq_messages WHERE id = ${row!.id}`
      assert.strictEqual(status?.status, "RETRIED")
    }))

  it.effect("draws the dashboard's charts from real data", () =>
    Effect.gen(function*() {
      yield* newUser("dashboard")
      const { page } = yield* signedInPage
      const charts = yield* Effect.promise(async () => {
        await page.goto("/admin")
        const titles = await page.locator("figure.chart h2").allTextContents()
        const signupBars = await page.locator("figure.chart").first().locator("rect title").allTextContents()
        return { titles, signupBars }
      })
      assert.include(charts.titles, "Sign-ups per day (last 30 days)")
      const today = new Date().toISOString().slice(5, 10)
      const todayBar = charts.signupBars.find((title) => title.endsWith(`${today}: ${title.split(": ")[1]}`))
      assert.isDefined(todayBar)
      assert.isAbove(Number(charts.signupBars.at(-1)?.split(": ")[1]), 0)
    }))

  it.effect("refuses a form posted from another origin, even with the operator's cookie", () =>
    Effect.gen(function*() {
      const user = yield* newUser("forged")
      const target = yield* baseUrl
      // The attacker's page on another origin of the same site (another port): the browser sends
      // the operator's SameSite=Lax cookie along, so only the panel's own checks stand in the way.
      const attacker = yield* Effect.acquireRelease(
        Effect.callback<ReturnType<typeof createServer>>((resume) => {
          const server = createServer((_, response) => {
            response.writeHead(200, { "content-type": "text/html" })
            response.end(`<form id="f" method="post" action="${target}/admin/users/${user.id}/deactivate">
<input name="reason" value="forged"></form><script>document.getElementById("f").submit()</script>`)
          })
          server.listen(0, "127.0.0.1", () => {
            resume(Effect.succeed(server))
          })
        }),
        (server) =>
          Effect.callback<void>((resume) => {
            server.close(() => resume(Effect.void))
          })
      )
      const { page } = yield* signedInPage
      const status = yield* Effect.promise(async () => {
        const answer = page.waitForResponse(`**/admin/users/${user.id}/deactivate`)
        await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`)
        return (await answer).status()
      })
      assert.strictEqual(status, 403)
      const signin = yield* call("POST", "/auth/signin", { body: { email: user.email, password } })
      assert.strictEqual(signin.status, 200)
    }))
})
