/**
 * The panel's operations driven through a real browser (Debian's Chromium through
 * playwright-core) against the real API, a fake Stripe and real infrastructure: creating a plan
 * (Stripe receives its product and prices), revoking an API key (validations with it are refused
 * afterwards), adjusting a workspace's credits with a reason (the audit log shows before and
 * after), and the dashboard drawing every chart from the data those made. With
 * `ADMIN_SCREENSHOT=<path>` (relative to the repository's root) the dashboard is saved there.
 */
import { browserContext, launchBrowser } from "@cuebx/testing/Browser"
import { assert, layer } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { HttpServer } from "effect/http"
import { SqlClient } from "effect/sql"
import { mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { billingTestLayer, Stripe } from "../billing/support.ts"
import { answerOf, apiKeyFixture, commit, validate, validateBody } from "../usage/support.ts"
import { newUser } from "../workspaces/support.ts"
import { adminPassword } from "./support.ts"

const repositoryRoot = fileURLToPath(new URL("../../../../", import.meta.url))

const TestLayer = billingTestLayer({
  ADMIN_PASSWORD: adminPassword,
  // Nothing consumes the queues, so the messages the test causes wait there for the dashboard.
  ENABLE_CONSUMERS: "false",
  USAGE_DENIALS_FLUSH_INTERVAL: "200 millis"
})

/** The in-process API as the browser reaches it. */
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
  return page
})

const formOf = (body: string) => new URLSearchParams(body)

layer(TestLayer, { excludeTestServices: true, timeout: "120 seconds" })("the panel's operations in a browser", (it) => {
  it.effect("creates a plan: the fake Stripe receives its product and both prices", () =>
    Effect.gen(function*() {
      const stripe = yield* Stripe
      const page = yield* signedInPage
      const flash = yield* Effect.promise(async () => {
        await page.goto("/admin/plans")
        await Promise.all([page.waitForURL("**/admin/plans/new"), page.click("text=New plan")])
        await page.selectOption("select[name=product_type]", "API")
        await page.selectOption("select[name=type]", "paid")
        await page.fill("input[name=name]", "Browser Team")
        await page.fill("input[name=rank]", "23")
        await page.fill("input[name=price]", "49.00")
        await page.fill("input[name=display_price]", "$49/month")
        await page.fill("input[name=seat_price]", "4.00")
        await page.fill("input[name=max_seats]", "50")
        await page.fill("input[name=credits_allocation]", "50000.00")
        await page.fill("input[name=rate_limit_per_minute]", "600")
        await Promise.all([page.waitForURL("**/admin/plans/*?notice=created"), page.click("form.edit button")])
        return page.textContent(".flash")
      })
      assert.strictEqual(flash, "The plan is created, with its Stripe product and prices.")
      const product = stripe.server.requestsTo("POST /v1/products").map((request) => formOf(request.body)).find((
        form
      ) => form.get("name") === "CueBX API Browser Team")
      assert.isDefined(product, "Stripe received no product for the plan")
      assert.strictEqual(product!.get("metadata[product_type]"), "api")
      const productId = stripe.products().find((found) => found["name"] === "CueBX API Browser Team")!["id"]
      const prices = stripe.server.requestsTo("POST /v1/prices").map((request) => formOf(request.body)).filter((form) =>
        form.get("product") === productId
      )
      assert.sameMembers(prices.map((form) => form.get("unit_amount")), ["4900", "400"])
      assert.deepStrictEqual([...new Set(prices.map((form) => form.get("recurring[interval]")))], ["month"])
      const shown = yield* Effect.promise(() => page.textContent("dl.details"))
      assert.include(shown, productId as string)
      assert.include(shown, "50000.00")
    }))

  it.effect("revokes an API key from its workspace's page: validations with it are refused afterwards", () =>
    Effect.gen(function*() {
      const fixture = yield* apiKeyFixture()
      assert.strictEqual((yield* validate(validateBody(fixture))).status, 200)
      const page = yield* signedInPage
      yield* Effect.promise(async () => {
        await page.goto(`/admin/workspaces?q=${fixture.workspaceId}`)
        await Promise.all([
          page.waitForURL(`**/admin/workspaces/${fixture.workspaceId}`),
          page.click("text=Usage Team")
        ])
        const liveKeyRow = page.locator("tr", { hasText: "cbx_live_" })
        await liveKeyRow.locator("input[name=reason]").fill("posted in a public gist")
        await Promise.all([page.waitForURL("**notice=key-revoked"), liveKeyRow.locator("button").click()])
      })
      const state = yield* Effect.promise(() => page.locator("tr", { hasText: "cbx_live_" }).textContent())
      assert.include(state, "revoked")
      const refused = yield* validate(validateBody(fixture)).pipe(
        Effect.repeat({ until: (answer) => answer.status === 401, schedule: Schedule.spaced("20 millis") }),
        Effect.timeout("5 seconds")
      )
      assert.strictEqual(answerOf(refused).access, "denied")
      assert.strictEqual((yield* validate(validateBody(fixture, { api_key: fixture.testKey }))).status, 200)
    }))

  it.effect("adjusts a workspace's credits with a reason: the audit log shows the period before and after", () =>
    Effect.gen(function*() {
      const fixture = yield* apiKeyFixture()
      const page = yield* signedInPage
      const { audit, flash } = yield* Effect.promise(async () => {
        await page.goto(`/admin/workspaces/${fixture.workspaceId}`)
        const form = page.locator("form.action", { has: page.locator("input[name=credits]") })
        await form.locator("input[name=credits]").fill("250")
        await form.locator("input[name=reason]").fill("goodwill after the outage")
        await Promise.all([page.waitForURL("**notice=credits-adjusted"), form.locator("button").click()])
        const flash = await page.textContent(".flash")
        await page.click("text=Operator actions on this workspace")
        await page.waitForURL(`**/admin/audit?target_type=workspace&target_id=${fixture.workspaceId}`)
        return { flash, audit: await page.textContent("table tbody tr") }
      })
      assert.strictEqual(flash, "The credits of the current period are adjusted.")
      assert.include(audit, "workspace.adjust_credits")
      assert.include(audit, "goodwill after the outage")
      assert.include(audit, "\"adjustment\":\"0.00\"")
      assert.include(audit, "\"adjustment\":\"250.00\"")
      assert.include(audit, "admin")
    }))

  it.effect("draws every dashboard chart from real data", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      // A sign-up (its code waits in otp_emails), a paid workspace whose usage is charged, a
      // refused validation, and a dead letter.
      yield* newUser("dashboard")
      const fixture = yield* apiKeyFixture()
      const granted = answerOf(yield* validate(validateBody(fixture)))
      yield* commit({ api_key: fixture.liveKey, usage_id: granted.usage_id, success: true })
      assert.strictEqual((yield* validate(validateBody(fixture, { api_key: "cbx_live_nobody" }))).status, 401)
      yield* sql`
        INSERT INTO dlq_messages (queue_name, original_queue, message_id, message_body, headers, attempt_count)
        VALUES ('payment_failed_emails_dead', 'payment_failed_emails', ${crypto.randomUUID()}, '{}', '{}'::jsonb, 3)`
      const page = yield* signedInPage
      const today = new Date().toISOString().slice(5, 10)
      const barsOf = (title: string) =>
        page.locator("figure.chart", { has: page.locator(`h2:text-is("${title}")`) }).locator("rect title")
          .allTextContents()
      const read = Effect.promise(async () => {
        await page.goto("/admin")
        return {
          titles: await page.locator("figure.chart h2").allTextContents(),
          figures: await page.locator(".figure").allTextContents(),
          signups: await barsOf("Sign-ups per day (last 30 days)"),
          credits: await barsOf("Credits consumed per day (last 30 days)"),
          denials: await barsOf("Refused validations by reason (last 30 days)"),
          plans: await barsOf("Active subscriptions by plan"),
          revenue: await barsOf("Monthly recurring revenue by product"),
          queues: await barsOf("Messages waiting per queue"),
          deadLetters: await barsOf("Dead letters per queue")
        }
      })
      // The refusal count is written within USAGE_DENIALS_FLUSH_INTERVAL, the sign-up's message relayed soon after.
      const charts = yield* read.pipe(
        Effect.repeat({
          until: (found) =>
            found.denials.some((bar) => /^API · api_key_rejected: [1-9]/.test(bar)) &&
            found.queues.some((bar) => /^ready · otp_emails: [1-9]/.test(bar)),
          schedule: Schedule.spaced("200 millis")
        }),
        Effect.timeout("15 seconds")
      )
      assert.deepStrictEqual(charts.titles, [
        "Sign-ups per day (last 30 days)",
        "Credits consumed per day (last 30 days)",
        "Refused validations by reason (last 30 days)",
        "Active subscriptions by plan",
        "Monthly recurring revenue by product",
        "Messages waiting per queue",
        "Dead letters per queue"
      ])
      assert.match(charts.signups.find((bar) => bar.includes(today))!, /^sign-ups · \d\d-\d\d: [1-9]\d*$/)
      assert.include(charts.credits, `API · ${today}: 1.00`)
      assert.include(charts.credits, `Career · ${today}: 0.00`)
      assert.isTrue(charts.plans.some((bar) => /^subscriptions · API Basic: [1-9]\d*$/.test(bar)), String(charts.plans))
      const mrr = charts.figures.find((figure) => figure.startsWith("MRR API (USD)"))
      assert.match(mrr!, /^MRR API \(USD\)[1-9]\d*\.\d\d$/)
      assert.include(charts.revenue, `USD · API: ${mrr!.replace("MRR API (USD)", "")}`)
      assert.include(charts.deadLetters, "pending · payment_failed_emails: 1")

      const screenshot = process.env["ADMIN_SCREENSHOT"]
      if (screenshot !== undefined) {
        const path = resolve(repositoryRoot, screenshot)
        mkdirSync(dirname(path), { recursive: true })
        yield* Effect.promise(() => page.screenshot({ path, fullPage: true }))
      }
    }))
})
