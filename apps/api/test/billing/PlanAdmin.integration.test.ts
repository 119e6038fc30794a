/**
 * The plan administration (`/admin/api/plans`) against the fake Stripe: a paid plan gets its
 * Stripe product and prices, a new amount gets a new price and the old one archived, a delete
 * archives them and hides the plan from the catalogue and new checkouts while its subscribers
 * keep it; refusals (name or rank taken, contradictory values, unknown plan); admin credentials.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call } from "../auth/support.ts"
import { createTeam, expectError, newUser } from "../workspaces/support.ts"
import { billingTestLayer, callbackUrls, deliverAndApply, Stripe } from "./support.ts"

const admin = { authorization: `Basic ${Buffer.from("admin:admin_password_change_in_production").toString("base64")}` }

const request = (method: string, path: string, body?: unknown) =>
  call(method, path, { headers: admin, ...(body === undefined ? {} : { body }) })

const teamPlan = {
  product_type: "API",
  type: "paid",
  name: "Team",
  description: "For growing teams",
  price: "29.00",
  display_price: "$29/month",
  seat_price: "3.00",
  rank: 7,
  features: [{ title: "Everything", description: null, value: true, category: null }],
  min_seats: 1,
  max_seats: 20,
  credits_allocation: "20000.00",
  rate_limit_per_minute: 120
}

type AdminPlan = Record<string, unknown> & { id: string; stripe_price_id: string; seat_stripe_price_id: string }

layer(billingTestLayer(), { excludeTestServices: true, timeout: 120_000 })("plan administration", (it) => {
  describe("/admin/api/plans", () => {
    it.effect("creates a paid plan with its Stripe product and prices, sells it, and lists it", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const created = yield* request("POST", "/admin/api/plans", teamPlan)
        assert.strictEqual(created.status, 201, created.text)
        const plan = created.json as AdminPlan
        assert.include(plan, {
          name: "Team",
          price: "29.00",
          seat_price: "3.00",
          currency: "usd",
          billing_period: "month"
        })
        const product = stripe.products().find((found) => found["id"] === plan["stripe_product_id"])!
        assert.strictEqual(product["name"], "CueBX API Team")
        const base = stripe.prices().find((price) => price["id"] === plan.stripe_price_id)!
        const seat = stripe.prices().find((price) => price["id"] === plan.seat_stripe_price_id)!
        assert.include(base, { unit_amount: 2900, currency: "usd", product: product["id"] })
        assert.include(seat, { unit_amount: 300, product: product["id"] })

        const catalogue = yield* call("GET", "/api/subscriptions/plans")
        assert.include((catalogue.json as { plans: Array<{ name: string }> }).plans.map((found) => found.name), "Team")
        const owner = yield* newUser("admin-plan-buyer")
        const workspaceId = yield* createTeam(owner)
        const checkout = yield* call("POST", `/api/subscriptions/workspaces/${workspaceId}/checkout`, {
          token: owner.token,
          body: { plan_id: plan.id, seat_count: 2, ...callbackUrls }
        })
        assert.strictEqual(checkout.status, 200, checkout.text)
        const listed = yield* request("GET", "/admin/api/plans?product_type=API")
        assert.include((listed.json as { plans: Array<{ name: string }> }).plans.map((found) => found.name), "Team")
      }))

    it.effect("a new amount creates a new price and archives the old; a new name renames the product", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const plan = (yield* request("POST", "/admin/api/plans", { ...teamPlan, name: "Studio", rank: 8 }))
          .json as AdminPlan
        const updated = yield* request("PATCH", `/admin/api/plans/${plan.id}`, { price: "35.00", name: "Studio Plus" })
        assert.strictEqual(updated.status, 200, updated.text)
        const after = updated.json as AdminPlan
        assert.notStrictEqual(after.stripe_price_id, plan.stripe_price_id)
        assert.strictEqual(after.seat_stripe_price_id, plan.seat_stripe_price_id)
        const prices = new Map(stripe.prices().map((price) => [price["id"], price]))
        assert.isFalse(prices.get(plan.stripe_price_id)!["active"])
        assert.include(prices.get(after.stripe_price_id)!, { unit_amount: 3500, active: true })
        assert.strictEqual(
          stripe.products().find((found) => found["id"] === plan["stripe_product_id"])!["name"],
          "CueBX API Studio Plus"
        )
        const period = yield* request("PATCH", `/admin/api/plans/${plan.id}`, { billing_period: "year" })
        const yearly = period.json as AdminPlan
        assert.notStrictEqual(yearly.seat_stripe_price_id, after.seat_stripe_price_id)
        assert.deepStrictEqual(
          stripe.prices().find((price) => price["id"] === yearly.stripe_price_id)!["recurring"],
          { interval: "year" }
        )
      }))

    it.effect("delete archives in Stripe, hides the plan, and keeps its subscribers", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const plan = (yield* request("POST", "/admin/api/plans", { ...teamPlan, name: "Legacy", rank: 9 }))
          .json as AdminPlan
        const owner = yield* newUser("legacy-subscriber")
        const workspaceId = yield* createTeam(owner)
        const checkout = yield* call("POST", `/api/subscriptions/workspaces/${workspaceId}/checkout`, {
          token: owner.token,
          body: { plan_id: plan.id, seat_count: 1, ...callbackUrls }
        })
        const { events, subscriptionId } = stripe.completeCheckout((checkout.json as { session_id: string }).session_id)
        yield* deliverAndApply(...events)

        const deleted = yield* request("DELETE", `/admin/api/plans/${plan.id}`)
        assert.strictEqual(deleted.status, 200, deleted.text)
        assert.include(deleted.json as object, { is_deleted: true, is_active: false })
        assert.isFalse(stripe.products().find((found) => found["id"] === plan["stripe_product_id"])!["active"])
        assert.isFalse(stripe.prices().find((price) => price["id"] === plan.stripe_price_id)!["active"])
        expectError(yield* call("GET", `/api/subscriptions/plans/${plan.id}`), 404, "Plan not found.")
        const other = yield* createTeam(owner, "Other team")
        expectError(
          yield* call("POST", `/api/subscriptions/workspaces/${other}/checkout`, {
            token: owner.token,
            body: { plan_id: plan.id, seat_count: 1, ...callbackUrls }
          }),
          404,
          "Plan not found."
        )
        yield* deliverAndApply(...stripe.renew(subscriptionId))
        const kept = yield* call("GET", `/api/subscriptions/workspaces/${workspaceId}`, { token: owner.token })
        assert.include(kept.json as object, { status: "active" })
        assert.strictEqual((kept.json as { plan: { name: string } }).plan.name, "Legacy")
        expectError(yield* request("DELETE", `/admin/api/plans/${plan.id}`), 404, "Plan not found.")
      }))

    it.effect("refuses clashes, contradictions, unknown plans and missing credentials", () =>
      Effect.gen(function*() {
        expectError(
          yield* request("POST", "/admin/api/plans", { ...teamPlan, name: "Basic", rank: 10 }),
          409,
          "A plan with this name already exists."
        )
        expectError(
          yield* request("POST", "/admin/api/plans", { ...teamPlan, name: "Unique", rank: 1 }),
          409,
          "Another plan of this product has this rank."
        )
        expectError(
          yield* request("POST", "/admin/api/plans", { ...teamPlan, name: "Cheap", rank: 11, type: "free" }),
          400,
          "A free plan has no price."
        )
        expectError(
          yield* request("POST", "/admin/api/plans", {
            ...teamPlan,
            name: "Nothing",
            rank: 12,
            price: "0",
            seat_price: "0"
          }),
          400,
          "A paid plan needs a price or a seat price."
        )
        assert.strictEqual((yield* request("POST", "/admin/api/plans", { ...teamPlan, price: "-1.00" })).status, 422)
        expectError(yield* request("GET", `/admin/api/plans/${crypto.randomUUID()}`), 404, "Plan not found.")
        const free = (yield* request("GET", "/admin/api/plans?product_type=CAREER")).json as { plans: Array<AdminPlan> }
        const freePlan = free.plans.find((found) => found["name"] === "Free")!
        expectError(yield* request("DELETE", `/admin/api/plans/${freePlan.id}`), 400, "A Free plan cannot be deleted.")
        const anonymous = yield* call("GET", "/admin/api/plans")
        assert.strictEqual(anonymous.status, 401)
        assert.match(anonymous.headers["www-authenticate"] ?? "", /^Basic/)
      }))
  })
})
