/**
 * The panel's actions over HTTP against the real API, a fake Stripe and real infrastructure:
 * each refuses a post without the CSRF token (403), without a reason where one is asked (422),
 * for an unknown record (404) and with bad values (4xx with the reason on the page), and
 * otherwise does its work and commits its audit entry with the state before and after.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { billingTestLayer, checkoutAndPay, deliverAndApply, Stripe } from "../billing/support.ts"
import { answerOf, apiKeyFixture, setPricing, validate, validateBody } from "../usage/support.ts"
import { createTeam, newUser, uuid } from "../workspaces/support.ts"
import { adminPassword, flashText, panelGet, panelPost, type PanelSession, signInPanel } from "./support.ts"

interface AuditRow {
  readonly actor: string
  readonly action: string
  readonly reason: string | null
  readonly before: Record<string, unknown> | null
  readonly after: Record<string, unknown> | null
}

const auditOf = (targetType: string, targetId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<AuditRow>`
      SELECT actor, action, reason, before, after FROM admin_audit_log
      WHERE target_type = ${targetType} AND target_id = ${targetId} ORDER BY at DESC`
  })

/** The refusals every action shares: no CSRF token (403) and no reason (422), changing nothing. */
const refusesWithoutCsrfAndReason = (signedIn: PanelSession, path: string, fields: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const forged = yield* panelPost(signedIn, path, { ...fields, reason: "no token" }, { csrf: false })
    assert.strictEqual(forged.status, 403, forged.text)
    const unexplained = yield* panelPost(signedIn, path, fields)
    assert.strictEqual(unexplained.status, 422, unexplained.text)
    assert.strictEqual(flashText(unexplained.text), "Say why (a reason of at most 500 characters) and try again.")
  })

const teamPlan = {
  product_type: "API",
  type: "paid",
  name: "Panel Team",
  description: "Made in the panel",
  price: "29.00",
  display_price: "$29/month",
  seat_price: "3.00",
  currency: "usd",
  billing_period: "month",
  rank: "17",
  min_seats: "1",
  max_seats: "20",
  features: "[{\"title\":\"Everything\",\"description\":null,\"value\":true,\"category\":null}]",
  is_active: "true",
  credits_allocation: "20000.00",
  rate_limit_per_minute: "120"
}

layer(billingTestLayer({ ADMIN_PASSWORD: adminPassword }), { excludeTestServices: true, timeout: 120_000 })(
  "the panel's actions",
  (it) => {
    describe("revoking an API key", () => {
      it.effect("is refused without the token, a reason, or a known workspace and key; then the key stops working", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const fixture = yield* apiKeyFixture()
          const path = `/admin/workspaces/${fixture.workspaceId}/api-keys/${fixture.liveKeyId}/revoke`
          yield* refusesWithoutCsrfAndReason(signedIn, path)
          const unknownWorkspace = yield* panelPost(
            signedIn,
            `/admin/workspaces/${uuid()}/api-keys/${fixture.liveKeyId}/revoke`,
            { reason: "leaked" }
          )
          assert.strictEqual(unknownWorkspace.status, 404)
          assert.include(unknownWorkspace.text, "Workspace not found")
          const unknownKey = yield* panelPost(
            signedIn,
            `/admin/workspaces/${fixture.workspaceId}/api-keys/${uuid()}/revoke`,
            { reason: "leaked" }
          )
          assert.strictEqual(unknownKey.status, 404)
          assert.strictEqual(flashText(unknownKey.text), "This workspace has no such API key.")
          assert.strictEqual((yield* validate(validateBody(fixture))).status, 200)

          const revoked = yield* panelPost(signedIn, path, { reason: "leaked in a public repository" })
          assert.strictEqual(revoked.status, 303, revoked.text)
          assert.strictEqual(revoked.headers["location"], `/admin/workspaces/${fixture.workspaceId}?notice=key-revoked`)
          const refused = yield* validate(validateBody(fixture)).pipe(
            Effect.repeat({ until: (answer) => answer.status === 401, schedule: Schedule.spaced("20 millis") }),
            Effect.timeout("5 seconds")
          )
          assert.strictEqual(answerOf(refused).access, "denied")
          const [entry] = yield* auditOf("api_key", fixture.liveKeyId)
          assert.include(entry, { actor: "admin", action: "api_key.revoke", reason: "leaked in a public repository" })
          assert.include(entry!.before, { is_active: true, revoked_at: null, workspace_id: fixture.workspaceId })
          assert.include(entry!.after, { is_active: false })
          assert.isString(entry!.after!["revoked_at"])
        }))
    })

    describe("adjusting credits", () => {
      it.effect("is refused without the token or a reason, with bad credits, or without a current period", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const fixture = yield* apiKeyFixture()
          const path = `/admin/workspaces/${fixture.workspaceId}/credits`
          yield* refusesWithoutCsrfAndReason(signedIn, path, { credits: "5" })
          for (const credits of ["abc", "1.005", "", "12345678901"]) {
            const refused = yield* panelPost(signedIn, path, { credits, reason: "goodwill" })
            assert.strictEqual(refused.status, 422, credits)
            assert.strictEqual(
              flashText(refused.text),
              "Credits: a number with at most two decimals, negative to take credits."
            )
          }
          const zero = yield* panelPost(signedIn, path, { credits: "0", reason: "goodwill" })
          assert.deepStrictEqual([zero.status, flashText(zero.text)], [422, "An adjustment of 0 changes nothing."])
          const unknown = yield* panelPost(signedIn, `/admin/workspaces/${uuid()}/credits`, {
            credits: "5",
            reason: "goodwill"
          })
          assert.strictEqual(unknown.status, 404)
          const owner = yield* newUser("panel-unsubscribed")
          const team = yield* createTeam(owner, "Unsubscribed team")
          const sql = yield* SqlClient.SqlClient
          yield* sql`UPDATE subscriptions SET status = 'CANCELED' WHERE owner_id = ${team}`
          const noPeriod = yield* panelPost(signedIn, `/admin/workspaces/${team}/credits`, {
            credits: "5",
            reason: "goodwill"
          })
          assert.strictEqual(noPeriod.status, 409)
          assert.strictEqual(
            flashText(noPeriod.text),
            "This workspace has no current API subscription: there is no period to adjust."
          )
          assert.deepStrictEqual(yield* auditOf("workspace", fixture.workspaceId), [])
        }))

      it.effect("adds credits the next validation can spend, audited with the period before and after", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const fixture = yield* apiKeyFixture("Professional")
          yield* setPricing("API", "Professional", { credits: "1.50" })
          assert.strictEqual((yield* validate(validateBody(fixture, { feature_key: "api.career_path" }))).status, 429)
          const adjusted = yield* panelPost(signedIn, `/admin/workspaces/${fixture.workspaceId}/credits`, {
            credits: "+1.00",
            reason: "compensation for the outage"
          })
          assert.strictEqual(adjusted.status, 303, adjusted.text)
          const granted = yield* validate(validateBody(fixture, { feature_key: "api.career_path" }))
          assert.strictEqual(granted.status, 200, granted.text)
          const [entry] = yield* auditOf("workspace", fixture.workspaceId)
          assert.include(entry, { action: "workspace.adjust_credits", reason: "compensation for the outage" })
          assert.include(entry!.before, { plan_allowance: "1.50", adjustment: "0.00", available: "1.50" })
          assert.include(entry!.after, { plan_allowance: "1.50", adjustment: "1.00", available: "2.50" })
          const page = yield* panelGet(signedIn, `/admin/workspaces/${fixture.workspaceId}?notice=credits-adjusted`)
          assert.strictEqual(flashText(page.text), "The credits of the current period are adjusted.")
          assert.include(page.text, "<span>Adjustment</span><strong>1.00</strong>")
          yield* setPricing("API", "Professional", { credits: "100000.00" })
        }))
    })

    describe("plans", () => {
      it.effect("a new plan's form is refused with what is wrong, keeping what was typed, and nothing reaches Stripe", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const stripe = yield* Stripe
          const productsBefore = stripe.products().length
          const forged = yield* panelPost(signedIn, "/admin/plans", teamPlan, { csrf: false })
          assert.strictEqual(forged.status, 403)
          const bad = yield* panelPost(signedIn, "/admin/plans", { ...teamPlan, name: " ", price: "abc", rank: "x" })
          assert.strictEqual(bad.status, 422)
          const message = flashText(bad.text)!
          for (const name of ["name", "price", "rank"]) assert.match(message, new RegExp(`(^|; )${name}: `), message)
          assert.include(bad.text, "value=\"abc\"")
          const badJson = yield* panelPost(signedIn, "/admin/plans", { ...teamPlan, features: "[{" })
          assert.strictEqual(badJson.status, 422)
          assert.match(flashText(badJson.text)!, /^features: not valid JSON/)
          const pricedFree = yield* panelPost(signedIn, "/admin/plans", { ...teamPlan, type: "free" })
          assert.deepStrictEqual([pricedFree.status, flashText(pricedFree.text)], [422, "A free plan has no price."])
          const taken = yield* panelPost(signedIn, "/admin/plans", { ...teamPlan, name: "Basic" })
          assert.deepStrictEqual([taken.status, flashText(taken.text)], [409, "A plan with this name already exists."])
          stripe.failNext("server_error")
          const stripeDown = yield* panelPost(signedIn, "/admin/plans", { ...teamPlan, name: "Unlucky" })
          assert.strictEqual(stripeDown.status, 502)
          assert.match(flashText(stripeDown.text)!, /^Stripe failed, nothing was saved/)
          assert.strictEqual(stripe.products().length, productsBefore)
          assert.notInclude((yield* panelGet(signedIn, "/admin/plans?q=Unlucky")).text, "Unlucky</a>")
        }))

      it.effect("creates, changes and archives a plan through the plan administration, Stripe following", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const stripe = yield* Stripe
          const created = yield* panelPost(signedIn, "/admin/plans", teamPlan)
          assert.strictEqual(created.status, 303, created.text)
          const planId = /^\/admin\/plans\/([0-9a-f-]{36})\?notice=created$/.exec(
            created.headers["location"] ?? ""
          )![1]!
          const product = stripe.products().find((found) => found["name"] === "CueBX API Panel Team")!
          assert.isDefined(product)
          const prices = stripe.prices().filter((price) => price["product"] === product["id"])
          assert.sameMembers(prices.map((price) => price["unit_amount"]), [2900, 300])
          const [createdEntry] = yield* auditOf("plan", planId)
          assert.include(createdEntry, { action: "plan.create", before: null })
          assert.include(createdEntry!.after, { name: "Panel Team", price: "29.00", stripe_product_id: product["id"] })

          const forgedChange = yield* panelPost(signedIn, `/admin/plans/${planId}`, { ...teamPlan, price: "1.00" }, {
            csrf: false
          })
          assert.strictEqual(forgedChange.status, 403)
          assert.strictEqual((yield* panelPost(signedIn, `/admin/plans/${uuid()}`, teamPlan)).status, 404)
          assert.strictEqual((yield* panelPost(signedIn, "/admin/plans/not-a-plan", teamPlan)).status, 404)
          const negative = yield* panelPost(signedIn, `/admin/plans/${planId}`, { ...teamPlan, price: "-1" })
          assert.strictEqual(negative.status, 422)
          assert.match(flashText(negative.text)!, /^price: /)
          const changed = yield* panelPost(signedIn, `/admin/plans/${planId}`, { ...teamPlan, price: "35.00" })
          assert.strictEqual(changed.status, 303, changed.text)
          const newBase = stripe.prices().find((price) =>
            price["product"] === product["id"] && price["unit_amount"] === 3500
          )
          assert.isDefined(newBase)
          assert.isFalse(
            stripe.prices().find((price) => price["unit_amount"] === 2900 && price["product"] === product["id"])![
              "active"
            ]
          )
          const [updatedEntry] = yield* auditOf("plan", planId)
          assert.strictEqual(updatedEntry!.action, "plan.update")
          assert.include(updatedEntry!.before, { price: "29.00" })
          assert.include(updatedEntry!.after, { price: "35.00", stripe_price_id: newBase!["id"] })

          const archivePath = `/admin/plans/${planId}/archive`
          yield* refusesWithoutCsrfAndReason(signedIn, archivePath)
          assert.strictEqual(
            (yield* panelPost(signedIn, `/admin/plans/${uuid()}/archive`, { reason: "x" })).status,
            404
          )
          const sql = yield* SqlClient.SqlClient
          const [free] = yield* sql<{ readonly id: string }>`
            SELECT id FROM plans WHERE product_type = 'API' AND type = 'FREE'`
          const keepFree = yield* panelPost(signedIn, `/admin/plans/${free!.id}/archive`, { reason: "tidy up" })
          assert.deepStrictEqual([keepFree.status, flashText(keepFree.text)], [422, "A Free plan cannot be deleted."])
          const archived = yield* panelPost(signedIn, archivePath, { reason: "replaced by Studio" })
          assert.deepStrictEqual([archived.status, archived.headers["location"]], [303, "/admin/plans?notice=archived"])
          assert.isFalse(stripe.products().find((found) => found["id"] === product["id"])!["active"])
          const [archivedEntry] = yield* auditOf("plan", planId)
          assert.include(archivedEntry, { action: "plan.archive", reason: "replaced by Studio" })
          assert.include(archivedEntry!.after, { is_deleted: true, is_active: false })
          const page = yield* panelGet(signedIn, `/admin/plans/${planId}`)
          assert.include(page.text, "An archived plan cannot be changed.")
        }))
    })

    describe("re-enqueuing a Stripe event", () => {
      it.effect("is refused without the token, a reason, or a known event; otherwise its handler applies it again", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const sql = yield* SqlClient.SqlClient
          const owner = yield* newUser("panel-requeue")
          const workspaceId = yield* createTeam(owner, "Requeue team")
          const { events } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 1 })
          yield* deliverAndApply(...events)
          const [row] = yield* sql<{ readonly id: string; readonly eventId: string }>`
            SELECT id, event_id FROM stripe_event_logs WHERE event_type = 'checkout.session.completed'
              AND payload->'data'->'object'->'metadata'->>'workspace_id' = ${workspaceId}`
          const path = `/admin/stripe-events/${row!.id}/requeue`
          yield* refusesWithoutCsrfAndReason(signedIn, path)
          assert.strictEqual(
            (yield* panelPost(signedIn, `/admin/stripe-events/${uuid()}/requeue`, { reason: "x" })).status,
            404
          )
          assert.strictEqual(
            (yield* panelPost(signedIn, "/admin/stripe-events/evt_1/requeue", { reason: "x" })).status,
            404
          )

          const requeued = yield* panelPost(signedIn, path, { reason: "the handler had a bug" })
          assert.deepStrictEqual([requeued.status, requeued.headers["location"]], [
            303,
            `/admin/stripe-events/${row!.id}?notice=requeued`
          ])
          const [entry] = yield* auditOf("stripe_event", row!.id)
          assert.include(entry, { action: "stripe_event.requeue", reason: "the handler had a bug" })
          assert.include(entry!.before, { event_id: row!.eventId })
          assert.isString(entry!.before!["outcome"])
          assert.include(entry!.after, { processed_at: null, outcome: null })
          const [message] = yield* sql<{ readonly queue: string }>`
            SELECT queue FROM outbox_messages WHERE message_id = ${String(entry!.after!["message_id"])}::uuid`
          assert.strictEqual(message!.queue, "stripe_checkout_completed")
          const processedAgain = yield* sql<{ readonly outcome: string | null }>`
            SELECT outcome FROM stripe_event_logs WHERE id = ${row!.id}`.pipe(
            Effect.repeat({ until: ([found]) => found?.outcome !== null, schedule: Schedule.spaced("50 millis") }),
            Effect.timeout("20 seconds")
          )
          assert.isNotNull(processedAgain[0]!.outcome)
        }))

      it.effect("an event whose recorded payload is no Stripe event is refused with the reason", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const sql = yield* SqlClient.SqlClient
          const [row] = yield* sql<{ readonly id: string }>`
            INSERT INTO stripe_event_logs (event_id, event_type, stripe_created_at, payload)
            VALUES (${`evt_${uuid()}`}, 'invoice.paid', now(), '{"damaged": true}'::jsonb) RETURNING id`
          const refused = yield* panelPost(signedIn, `/admin/stripe-events/${row!.id}/requeue`, { reason: "retry" })
          assert.deepStrictEqual(
            [refused.status, flashText(refused.text)],
            [422, "The recorded payload is not a Stripe event."]
          )
          assert.deepStrictEqual(yield* auditOf("stripe_event", row!.id), [])
        }))
    })
  }
)
