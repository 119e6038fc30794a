/**
 * A workspace's subscription through Stripe, endpoint by endpoint against the fake Stripe:
 * checkout, seats, cancellation, reactivation, upgrade preview and upgrade, payments and the
 * portal, each with its errors in the reference's order (with SPEC.md's overrides), what Stripe
 * receives (form parameters, idempotency keys, the pinned version), and nothing changed locally
 * when Stripe refuses.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { call } from "../auth/support.ts"
import {
  addMember,
  createTeam,
  expectError,
  memberRows,
  newUser,
  personalWorkspaceOf,
  setWorkspaceStatus,
  type TestUser,
  uuid
} from "../workspaces/support.ts"
import {
  billingTestLayer,
  callbackUrls,
  checkoutAndPay,
  deliverAndApply,
  emailsTo,
  localSubscription,
  planId,
  Stripe
} from "./support.ts"

const base = (workspaceId: string) => `/api/subscriptions/workspaces/${workspaceId}`

const post = (user: TestUser, path: string, body: unknown = {}) => call("POST", path, { token: user.token, body })

/** A team with a paid plan: checkout through the API, paid in Stripe, its events applied. */
const paidTeam = (owner: TestUser, plan = "Basic", seats = 3) =>
  Effect.gen(function*() {
    const workspaceId = yield* createTeam(owner)
    const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan, seats })
    yield* deliverAndApply(...events)
    return { workspaceId, subscriptionId }
  })

const subscriptionOf = (user: TestUser, workspaceId: string) =>
  Effect.map(call("GET", base(workspaceId), { token: user.token }), (response) => {
    assert.strictEqual(response.status, 200, response.text)
    return response.json as {
      plan: { name: string }
      seat_count: number
      status: string
      cancel_at_period_end: boolean
    }
  })

const formOf = (request: { readonly body: string }) => Object.fromEntries(new URLSearchParams(request.body))

layer(billingTestLayer(), { excludeTestServices: true, timeout: 120_000 })("workspace billing", (it) => {
  describe("POST /checkout", () => {
    it.effect("creates a Stripe customer once and a checkout session with the plan's prices and metadata", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("checkout-owner")
        const workspaceId = yield* createTeam(owner)
        const body = { plan_id: yield* planId("API", "Basic"), seat_count: 3, ...callbackUrls }
        const first = yield* post(owner, `${base(workspaceId)}/checkout`, body)
        assert.strictEqual(first.status, 200, first.text)
        const answer = first.json as { checkout_url: string; session_id: string }
        assert.match(answer.checkout_url, /^https:\/\/checkout\.stripe\.test\//)

        const [request] = stripe.server.requestsTo("POST /v1/checkout/sessions").slice(-1)
        const form = formOf(request!)
        assert.strictEqual(form["mode"], "subscription")
        assert.strictEqual(form["line_items[0][price]"], "price_1NEXAMPLEBASIC")
        assert.strictEqual(form["line_items[1][price]"], "price_1NEXAMPLEBASICSEAT")
        assert.strictEqual(form["line_items[1][quantity]"], "3")
        assert.strictEqual(form["subscription_data[metadata][workspace_id]"], workspaceId)
        assert.strictEqual(form["subscription_data[metadata][seat_count]"], "3")
        assert.strictEqual(form["subscription_data[metadata][product_type]"], "api")
        assert.strictEqual(request!.headers["stripe-version"], "2026-10-28.endive")
        assert.match(String(request!.headers["idempotency-key"]), /^cuebx:checkout:/)

        // W9-16: a retried request gets the same session and customer; other URLs get a new session, not a 409.
        const retried = yield* post(owner, `${base(workspaceId)}/checkout`, body)
        assert.strictEqual((retried.json as { session_id: string }).session_id, answer.session_id)
        const elsewhere = yield* post(owner, `${base(workspaceId)}/checkout`, {
          ...body,
          success_url: "https://app.cuebx.test/other"
        })
        assert.strictEqual(elsewhere.status, 200, elsewhere.text)
        assert.notStrictEqual((elsewhere.json as { session_id: string }).session_id, answer.session_id)
        const customers = stripe.customers().filter((customer) =>
          (customer["metadata"] as Record<string, string>)["workspace_id"] === workspaceId
        )
        assert.strictEqual(customers.length, 1)
      }))

    it.effect("W9-16: checkout and customer keys are derived from their inputs", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("keys-owner")
        const workspaceId = yield* createTeam(owner)
        const body = { plan_id: yield* planId("API", "Basic"), seat_count: 2, ...callbackUrls }
        yield* post(owner, `${base(workspaceId)}/checkout`, body)
        const keys = stripe.server.requests().filter((request) => request.method === "POST").map((request) =>
          String(request.headers["idempotency-key"])
        )
        assert.isTrue(keys.some((key) => key.startsWith("cuebx:customer:")))
        assert.isTrue(keys.every((key) => key.startsWith("cuebx:")))
      }))

    it.effect("refuses in the reference's order", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("checkout-errors")
        const member = yield* newUser("checkout-member")
        const workspaceId = yield* createTeam(owner)
        yield* addMember(workspaceId, member)
        const path = `${base(workspaceId)}/checkout`
        const basic = yield* planId("API", "Basic")
        const valid = { plan_id: basic, seat_count: 2, ...callbackUrls }
        expectError(yield* post(member, path, valid), 403, "Admin permission required.")
        expectError(yield* post(owner, path, { ...valid, plan_id: uuid() }), 404, "Plan not found.")
        expectError(
          yield* post(owner, path, { ...valid, plan_id: yield* planId("CAREER", "Plus Plan") }),
          404,
          "Plan is not an API plan."
        )
        expectError(
          yield* post(owner, path, { ...valid, plan_id: yield* planId("API", "Free") }),
          404,
          "Plan is not available for purchase."
        )
        expectError(yield* post(owner, path, { ...valid, seat_count: 6 }), 400, "Maximum 5 seats allowed.")
        assert.strictEqual((yield* post(owner, path, { plan_id: basic })).status, 422)
        assert.strictEqual((yield* post(owner, path, { ...valid, success_url: "not a url" })).status, 422)

        stripe.failNext("server_error")
        const failed = yield* post(owner, path, valid)
        assert.strictEqual(failed.status, 502, failed.text)
        const upstream = failed.json as Record<string, unknown>
        assert.deepStrictEqual(Object.keys(upstream).toSorted(), ["detail", "error_type", "request_id", "stripe_code"])
        assert.strictEqual(upstream["error_type"], "api_error")
        assert.match(String(upstream["request_id"]), /^req_/)

        const { events } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 })
        yield* deliverAndApply(...events)
        expectError(yield* post(owner, path, valid), 400, "Workspace already has a paid subscription.")
      }))

    it.effect("is billing recovery: allowed on a frozen workspace", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("frozen-checkout")
        const workspaceId = yield* createTeam(owner)
        yield* setWorkspaceStatus(workspaceId, "FROZEN")
        const response = yield* post(owner, `${base(workspaceId)}/checkout`, {
          plan_id: yield* planId("API", "Basic"),
          seat_count: 1,
          ...callbackUrls
        })
        assert.strictEqual(response.status, 200, response.text)
      }))
  })

  describe("PATCH /seats", () => {
    it.effect("W9-11: adds seats charged at once, removes them credited (prorated), and refuses below the members", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("seats-owner")
        const { subscriptionId, workspaceId } = yield* paidTeam(owner, "Basic", 3)
        const added = yield* call("PATCH", `${base(workspaceId)}/seats`, {
          token: owner.token,
          body: { seat_count: 4 }
        })
        assert.strictEqual(added.status, 200, added.text)
        assert.strictEqual((added.json as { seat_count: number }).seat_count, 4)
        const [increase] = stripe.server.requestsTo("POST /v1/subscriptions/:id").slice(-1)
        assert.strictEqual(formOf(increase!)["proration_behavior"], "always_invoice")
        assert.strictEqual(formOf(increase!)["payment_behavior"], "error_if_incomplete")
        assert.strictEqual(formOf(increase!)["items[0][quantity]"], "4")

        // W9-11: fewer seats are credited (prorated), not lost mid-period.
        const removed = yield* call("PATCH", `${base(workspaceId)}/seats`, {
          token: owner.token,
          body: { seat_count: 2 }
        })
        assert.strictEqual((removed.json as { seat_count: number }).seat_count, 2)
        const [decrease] = stripe.server.requestsTo("POST /v1/subscriptions/:id").slice(-1)
        assert.strictEqual(formOf(decrease!)["proration_behavior"], "create_prorations")
        assert.strictEqual((yield* localSubscription(subscriptionId))!.seatCount, 2)

        const colleague = yield* newUser("seats-colleague")
        yield* addMember(workspaceId, colleague)
        expectError(
          yield* call("PATCH", `${base(workspaceId)}/seats`, { token: owner.token, body: { seat_count: 1 } }),
          400,
          "Cannot reduce to 1 seats. Currently 2 members enabled. Disable members first."
        )
        expectError(
          yield* call("PATCH", `${base(workspaceId)}/seats`, { token: owner.token, body: { seat_count: 6 } }),
          400,
          "Maximum 5 seats allowed."
        )
      }))

    it.effect("a declined card is 402 with Stripe's codes, and the seats stay as they were", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("declined-owner")
        const { subscriptionId, workspaceId } = yield* paidTeam(owner, "Basic", 2)
        stripe.failNext("card_declined")
        const response = yield* call("PATCH", `${base(workspaceId)}/seats`, {
          token: owner.token,
          body: { seat_count: 3 }
        })
        assert.strictEqual(response.status, 402, response.text)
        assert.deepStrictEqual(response.json, {
          detail: "Your card was declined.",
          stripe_code: "card_declined",
          decline_code: "generic_decline",
          param: "payment_method"
        })
        assert.strictEqual((yield* localSubscription(subscriptionId))!.seatCount, 2)
      }))

    it.effect("needs a subscription; a Free plan has one seat", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("seats-none")
        const workspaceId = yield* createTeam(owner)
        expectError(
          yield* call("PATCH", `${base(workspaceId)}/seats`, { token: owner.token, body: { seat_count: 2 } }),
          404,
          "Subscription not found."
        )
        const personal = yield* personalWorkspaceOf(owner)
        expectError(
          yield* call("PATCH", `${base(personal)}/seats`, { token: owner.token, body: { seat_count: 2 } }),
          400,
          "Maximum 1 seats allowed."
        )
        assert.strictEqual(
          (yield* call("PATCH", `${base(workspaceId)}/seats`, { token: owner.token, body: { seat_count: -1 } })).status,
          422
        )
      }))

    it.effect("W9-18: a subscription in payment grace still changes seats", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("grace-owner")
        const { subscriptionId, workspaceId } = yield* paidTeam(owner, "Basic", 2)
        yield* deliverAndApply(...stripe.failPayment(subscriptionId))
        assert.strictEqual((yield* subscriptionOf(owner, workspaceId)).status, "past_due")
        const response = yield* call("PATCH", `${base(workspaceId)}/seats`, {
          token: owner.token,
          body: { seat_count: 3 }
        })
        assert.strictEqual(response.status, 200, response.text)
      }))
  })

  describe("POST /cancel and /reactivate", () => {
    it.effect("cancels at the period's end once, reactivation undoes it, cancelling now falls back to Free", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("cancel-owner")
        const admin = yield* newUser("cancel-admin")
        const { subscriptionId, workspaceId } = yield* paidTeam(owner, "Basic", 3)
        yield* addMember(workspaceId, admin, "ADMIN")
        expectError(
          yield* post(admin, `${base(workspaceId)}/cancel`, { cancel_at_period_end: true }),
          403,
          "Only workspace owner can cancel subscription."
        )
        const atEnd = yield* post(owner, `${base(workspaceId)}/cancel`, { cancel_at_period_end: true })
        assert.strictEqual(atEnd.status, 200, atEnd.text)
        assert.include(atEnd.json as object, { status: "active", cancel_at_period_end: true })
        expectError(
          yield* post(owner, `${base(workspaceId)}/cancel`, {}),
          400,
          "Subscription is already set to cancel at the end of the billing period."
        )
        expectError(
          yield* post(admin, `${base(workspaceId)}/reactivate`, {}),
          403,
          "Only workspace owner can reactivate workspace."
        )
        const reactivated = yield* post(owner, `${base(workspaceId)}/reactivate`, {})
        assert.deepStrictEqual(reactivated.json, { message: "Workspace reactivated successfully.", success: true })
        assert.isFalse((yield* subscriptionOf(owner, workspaceId)).cancel_at_period_end)
        expectError(
          yield* post(owner, `${base(workspaceId)}/reactivate`, {}),
          400,
          "Workspace is not frozen and its subscription is not set to cancel."
        )

        const now = yield* post(owner, `${base(workspaceId)}/cancel`, { cancel_at_period_end: false })
        assert.strictEqual(now.status, 200, now.text)
        assert.strictEqual((now.json as { status: string }).status, "canceled")
        assert.strictEqual((yield* localSubscription(subscriptionId))!.status, "CANCELED")
        const after = yield* subscriptionOf(owner, workspaceId)
        assert.strictEqual(after.plan.name, "Free")
        const members = yield* memberRows(workspaceId)
        assert.deepStrictEqual(members.map((member) => [member.role, member.status]), [
          ["OWNER", "ENABLED"],
          ["ADMIN", "DISABLED"]
        ])
      }))

    it.effect("W9-17: the Free plan cannot be cancelled, and a team without a subscription has none to cancel", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("free-cancel")
        expectError(
          yield* post(owner, `${base(yield* personalWorkspaceOf(owner))}/cancel`, { cancel_at_period_end: false }),
          400,
          "The Free plan cannot be cancelled."
        )
        expectError(
          yield* post(owner, `${base(yield* createTeam(owner))}/cancel`, {}),
          404,
          "Subscription not found."
        )
      }))

    it.effect("W9-10: reactivation takes user ids (or membership ids), refuses unknown ones, counts the enabled", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("reactivate-owner")
        const alice = yield* newUser("reactivate-alice")
        const bob = yield* newUser("reactivate-bob")
        const carol = yield* newUser("reactivate-carol")
        const { workspaceId } = yield* paidTeam(owner, "Basic", 3)
        yield* addMember(workspaceId, alice, "MEMBER", "DISABLED")
        yield* addMember(workspaceId, bob, "MEMBER", "DISABLED")
        yield* addMember(workspaceId, carol, "MEMBER", "ENABLED")
        yield* setWorkspaceStatus(workspaceId, "FROZEN")
        expectError(
          yield* post(owner, `${base(workspaceId)}/reactivate`, { member_ids_to_enable: [uuid()] }),
          404,
          "Member not found."
        )
        expectError(
          yield* post(owner, `${base(workspaceId)}/reactivate`, { member_ids_to_enable: [alice.id, bob.id] }),
          400,
          "Cannot enable 4 members. Only 3 seats available."
        )
        const sql = yield* SqlClient.SqlClient
        const [aliceMembership] = yield* sql<{ readonly id: string }>`
          SELECT id FROM workspace_members WHERE workspace_id = ${workspaceId} AND user_id = ${alice.id}`
        const done = yield* post(owner, `${base(workspaceId)}/reactivate`, {
          member_ids_to_enable: [aliceMembership!.id]
        })
        assert.strictEqual(done.status, 200, done.text)
        const statuses = new Map((yield* memberRows(workspaceId)).map((member) => [member.userId, member.status]))
        assert.strictEqual(statuses.get(alice.id), "ENABLED")
        assert.strictEqual(statuses.get(bob.id), "DISABLED")
        const workspace = yield* call("GET", `/api/workspaces/${workspaceId}`, { token: owner.token })
        assert.strictEqual((workspace.json as { status: string }).status, "active")
      }))

    it.effect("reactivation needs a current subscription", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("reactivate-none")
        expectError(
          yield* post(owner, `${base(yield* createTeam(owner))}/reactivate`, {}),
          404,
          "No active subscription."
        )
      }))
  })

  describe("POST /preview-upgrade and /upgrade", () => {
    it.effect("W9-25, W9-15: previews with Stripe's figures, upgrades once Stripe took the payment, emails with the consumer's keys", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("upgrade-owner")
        const { subscriptionId, workspaceId } = yield* paidTeam(owner, "Basic", 2)
        const professional = yield* planId("API", "Professional")
        const preview = yield* post(owner, `${base(workspaceId)}/preview-upgrade`, { new_plan_id: professional })
        assert.strictEqual(preview.status, 200, preview.text)
        const figures = preview.json as Record<string, unknown>
        assert.include(figures, {
          current_plan: "Basic",
          new_plan: "Professional",
          current_seat_count: 2,
          new_seat_count: 2,
          currency: "usd"
        })
        assert.match(String(figures["total_due"]), /^\d+\.\d{2}$/)
        assert.match(String(figures["proration_amount"]), /^\d+\.\d{2}$/)
        assert.isTrue(Number(figures["total_due"]) > 0)
        assert.isString(figures["billing_period_end"])
        const [previewRequest] = stripe.server.requestsTo("POST /v1/invoices/create_preview").slice(-1)
        assert.strictEqual(
          formOf(previewRequest!)["subscription_details[items][0][price]"],
          "price_1NEXAMPLEPROFESSIONAL"
        )

        // W9-25: a declined card changes nothing.
        stripe.failNext("card_declined")
        const declined = yield* post(owner, `${base(workspaceId)}/upgrade`, { new_plan_id: professional })
        assert.strictEqual(declined.status, 402, declined.text)
        assert.strictEqual((yield* localSubscription(subscriptionId))!.planId, yield* planId("API", "Basic"))

        const upgraded = yield* post(owner, `${base(workspaceId)}/upgrade`, { new_plan_id: professional })
        assert.strictEqual(upgraded.status, 200, upgraded.text)
        assert.strictEqual((upgraded.json as { plan: { name: string } }).plan.name, "Professional")
        const [upgrade] = stripe.server.requestsTo("POST /v1/subscriptions/:id").slice(-1)
        assert.strictEqual(formOf(upgrade!)["payment_behavior"], "error_if_incomplete")
        assert.strictEqual(formOf(upgrade!)["proration_behavior"], "always_invoice")
        // W9-15: the plan-change email carries the keys the email consumer reads.
        const [activated] = (yield* emailsTo("subscription_activated_emails", owner.email)).slice(-1)
        assert.deepStrictEqual(activated, {
          email: owner.email,
          user_name: "Ada Lovelace",
          plan_name: "Professional",
          workspace_name: "Test Workspace",
          seat_count: 2,
          product_name: "CueBX API"
        })
      }))

    it.effect("refuses in the reference's order", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("preview-errors")
        const member = yield* newUser("preview-member")
        const { workspaceId } = yield* paidTeam(owner, "Professional", 2)
        yield* addMember(workspaceId, member)
        const professional = yield* planId("API", "Professional")
        const basic = yield* planId("API", "Basic")
        const preview = `${base(workspaceId)}/preview-upgrade`
        const upgrade = `${base(workspaceId)}/upgrade`
        expectError(yield* post(member, preview, { new_plan_id: professional }), 403, "Admin permission required.")
        expectError(yield* post(member, upgrade, { new_plan_id: professional }), 403, "Admin permission required.")
        expectError(yield* post(owner, preview, { new_plan_id: uuid() }), 404, "Plan not found.")
        expectError(yield* post(owner, upgrade, { new_plan_id: uuid() }), 404, "Plan not found.")
        expectError(yield* post(owner, preview, { new_plan_id: professional }), 400, "Already subscribed to this plan.")
        expectError(
          yield* post(owner, upgrade, { new_plan_id: basic }),
          400,
          "Cannot downgrade from Professional to Basic. Please cancel and resubscribe to a different plan."
        )
        expectError(
          yield* post(owner, preview, { new_seat_count: 1 }),
          400,
          "Cannot reduce to 1 seats. Currently 2 members enabled. Disable members first."
        )
        const empty = yield* post(owner, preview, {})
        assert.strictEqual(empty.status, 422)
        assert.deepStrictEqual(
          (empty.json as { detail: Array<{ loc: unknown; msg: string }> }).detail[0]!.msg,
          "Value error, At least one field must be provided in upgrade_preview (new_plan_id or new_seat_count)"
        )

        const seatsOnly = yield* post(owner, preview, { new_seat_count: 3 })
        assert.strictEqual(seatsOnly.status, 200, seatsOnly.text)
        assert.include(seatsOnly.json as object, { new_plan: "Professional", new_seat_count: 3 })

        const lonely = yield* newUser("preview-free")
        const personal = yield* personalWorkspaceOf(lonely)
        expectError(
          yield* post(lonely, `${base(personal)}/preview-upgrade`, { new_plan_id: professional }),
          404,
          "Subscription has no Stripe ID."
        )
        expectError(
          yield* post(lonely, `${base(personal)}/upgrade`, { new_plan_id: professional }),
          404,
          "Subscription has no Stripe ID."
        )
        const team = yield* createTeam(lonely)
        expectError(
          yield* post(lonely, `${base(team)}/preview-upgrade`, { new_plan_id: professional }),
          404,
          "Subscription not found."
        )
        expectError(
          yield* post(lonely, `${base(team)}/upgrade`, { new_plan_id: professional }),
          404,
          "No active subscription."
        )
      }))

    it.effect("W9-11: a plan without a seat price changes no seats (nor its base quantity); missing Stripe prices are 404", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const sql = yield* SqlClient.SqlClient
        const owner = yield* newUser("no-seat-price")
        const { workspaceId } = yield* paidTeam(owner, "Basic", 2)
        const professional = yield* planId("API", "Professional")
        const before = stripe.server.requests().length
        yield* Effect.gen(function*() {
          yield* sql`UPDATE plans SET seat_stripe_price_id = NULL WHERE product_type = 'API' AND name = 'Basic'`
          expectError(
            yield* post(owner, `${base(workspaceId)}/preview-upgrade`, { new_seat_count: 3 }),
            404,
            "Plan does not have seat pricing configured."
          )
          expectError(
            yield* call("PATCH", `${base(workspaceId)}/seats`, { token: owner.token, body: { seat_count: 3 } }),
            404,
            "Plan does not have seat pricing configured."
          )
          expectError(
            yield* post(owner, `${base(workspaceId)}/upgrade`, { new_plan_id: professional }),
            404,
            "Current plan has no seat Stripe price."
          )
          assert.strictEqual(stripe.server.requests().length, before)
        }).pipe(Effect.ensuring(Effect.orDie(
          sql`UPDATE plans SET seat_stripe_price_id = 'price_1NEXAMPLEBASICSEAT' WHERE product_type = 'API' AND name = 'Basic'`
        )))
        yield* Effect.gen(function*() {
          yield* sql`UPDATE plans SET stripe_price_id = NULL WHERE product_type = 'API' AND name = 'Professional'`
          expectError(
            yield* post(owner, `${base(workspaceId)}/preview-upgrade`, { new_plan_id: professional }),
            404,
            "Target plan has no Stripe price."
          )
          expectError(
            yield* post(owner, `${base(workspaceId)}/upgrade`, { new_plan_id: professional }),
            404,
            "Target plan has no Stripe price."
          )
        }).pipe(Effect.ensuring(Effect.orDie(
          sql`UPDATE plans SET stripe_price_id = 'price_1NEXAMPLEPROFESSIONAL' WHERE product_type = 'API' AND name = 'Professional'`
        )))
      }))

    it.effect("an upgrade needs the current seats to fit the new plan", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("upgrade-seats")
        const { workspaceId } = yield* paidTeam(owner, "Basic", 2)
        const sql = yield* SqlClient.SqlClient
        yield* sql`UPDATE plans SET max_seats = 1 WHERE product_type = 'API' AND name = 'Professional'`
        const response = yield* post(owner, `${base(workspaceId)}/upgrade`, {
          new_plan_id: yield* planId("API", "Professional")
        })
        yield* sql`UPDATE plans SET max_seats = NULL WHERE product_type = 'API' AND name = 'Professional'`
        expectError(
          response,
          400,
          "Current seat count (2) exceeds target plan's maximum (1). Reduce seats before upgrading."
        )
      }))
  })

  describe("invitation emails", () => {
    it.effect("W9-15: an inviter without a name is named by their email", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("nameless", null)
        const { workspaceId } = yield* paidTeam(owner, "Basic", 3)
        const invited = `invited-${uuid()}@example.com`
        const response = yield* call("POST", `/api/workspaces/${workspaceId}/invitations`, {
          token: owner.token,
          body: { email: invited, callback_url: "http://localhost:3000/join" }
        })
        assert.strictEqual(response.status, 201, response.text)
        const [email] = yield* emailsTo("workspace_invitation_emails", invited)
        assert.strictEqual(email!["inviter_name"], owner.email)
      }))
  })

  describe("payments and portal", () => {
    it.effect("lists the paid invoices newest first to owners and admins, and opens Stripe's portal", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("payments-owner")
        const member = yield* newUser("payments-member")
        const { subscriptionId, workspaceId } = yield* paidTeam(owner, "Basic", 3)
        yield* addMember(workspaceId, member)
        yield* deliverAndApply(...stripe.renew(subscriptionId))
        const page = yield* call("GET", `${base(workspaceId)}/payments?limit=1`, { token: owner.token })
        assert.strictEqual(page.status, 200, page.text)
        const body = page.json as { payments: Array<Record<string, unknown>>; total: number; limit: number }
        assert.strictEqual(body.total, 2)
        assert.strictEqual(body.payments.length, 1)
        assert.include(body.payments[0]!, { amount: "25.00", currency: "usd", status: "succeeded", provider: "stripe" })
        assert.strictEqual(body.payments[0]!["billing_reason"], "subscription_cycle")
        expectError(
          yield* call("GET", `${base(workspaceId)}/payments`, { token: member.token }),
          403,
          "Admin permission required."
        )

        const portal = yield* post(owner, `${base(workspaceId)}/portal`, {
          return_url: "http://localhost:3000/billing"
        })
        assert.strictEqual(portal.status, 200, portal.text)
        assert.match((portal.json as { url: string }).url, /^https:\/\/billing\.stripe\.test\//)
        expectError(
          yield* post(owner, `${base(workspaceId)}/portal`, { return_url: "https://evil.example/steal" }),
          400,
          "Invalid return URL. Must be in allowed origins and use HTTPS in production."
        )
      }))
  })
})
