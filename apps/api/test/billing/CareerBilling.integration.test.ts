/**
 * The signed-in user's Career subscription through Stripe against the fake Stripe: checkout,
 * upgrade and its preview, cancellation (at the period's end, once; or now, back to Free),
 * payments and the portal, with the reference's errors and the Stripe customer created for a
 * new account after its sign-up.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { call } from "../auth/support.ts"
import { expectError, newUser, type TestUser, uuid } from "../workspaces/support.ts"
import {
  billingTestLayer,
  callbackUrls,
  checkoutAndPay,
  deliverAndApply,
  localSubscription,
  planId,
  Stripe
} from "./support.ts"

const post = (user: TestUser, path: string, body: unknown = {}) => call("POST", path, { token: user.token, body })

const careerOf = (user: TestUser) =>
  Effect.map(call("GET", "/career/subscriptions", { token: user.token }), (response) => {
    assert.strictEqual(response.status, 200, response.text)
    return response.json as { plan: { name: string }; status: string; cancel_at_period_end: boolean; id: string }
  })

/** A user on a paid Career plan. */
const paidUser = (label: string, plan = "Plus Plan") =>
  Effect.gen(function*() {
    const user = yield* newUser(label)
    const { events, subscriptionId } = yield* checkoutAndPay(user, { career: plan })
    yield* deliverAndApply(...events)
    return { user, subscriptionId }
  })

layer(billingTestLayer(), { excludeTestServices: true, timeout: 120_000 })("Career billing", (it) => {
  describe("POST /career/subscriptions/checkout", () => {
    it.effect("starts a checkout on the user's own Stripe customer, created after sign-up", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const user = yield* newUser("career-checkout")
        // The worker handler of the sign-up's request made the customer (with its own key).
        yield* Effect.sync(() =>
          stripe.customers().filter((customer) =>
            (customer["metadata"] as Record<string, string>)["user_id"] === user.id
          )
        ).pipe(
          Effect.repeat({ until: (found) => found.length === 1, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("30 seconds")
        )
        const response = yield* post(user, "/career/subscriptions/checkout", {
          plan_id: yield* planId("CAREER", "Plus Plan"),
          ...callbackUrls
        })
        assert.strictEqual(response.status, 200, response.text)
        const mine = stripe.customers().filter((customer) =>
          (customer["metadata"] as Record<string, string>)["user_id"] === user.id
        )
        assert.strictEqual(mine.length, 1)
        const session = stripe.checkoutSession((response.json as { session_id: string }).session_id)!
        assert.strictEqual(session["customer"], mine[0]!["id"])
        assert.deepStrictEqual((session["subscription_data"] as { metadata: unknown }).metadata, {
          user_id: user.id,
          plan_id: yield* planId("CAREER", "Plus Plan"),
          product_type: "career"
        })
      }))

    it.effect("refuses unknown, foreign, free and second paid plans", () =>
      Effect.gen(function*() {
        const { user } = yield* paidUser("career-checkout-errors")
        const path = "/career/subscriptions/checkout"
        expectError(yield* post(user, path, { plan_id: uuid(), ...callbackUrls }), 404, "Career plan not found.")
        expectError(
          yield* post(user, path, { plan_id: yield* planId("API", "Basic"), ...callbackUrls }),
          404,
          "Plan is not a Career plan."
        )
        expectError(
          yield* post(user, path, { plan_id: yield* planId("CAREER", "Free"), ...callbackUrls }),
          404,
          "Plan is not available for purchase."
        )
        expectError(
          yield* post(user, path, { plan_id: yield* planId("CAREER", "Pro Plan"), ...callbackUrls }),
          400,
          "Already have an active Career subscription."
        )
        assert.strictEqual((yield* post(user, path, { plan_id: uuid() })).status, 422)
        assert.strictEqual((yield* call("POST", path, { body: {} })).status, 401)
      }))
  })

  describe("upgrade, cancel, payments, portal", () => {
    it.effect("previews and upgrades to a higher plan, charged at once", () =>
      Effect.gen(function*() {
        const { subscriptionId, user } = yield* paidUser("career-upgrade")
        const pro = yield* planId("CAREER", "Pro Plan")
        const preview = yield* post(user, "/career/subscriptions/preview-upgrade", { new_plan_id: pro })
        assert.strictEqual(preview.status, 200, preview.text)
        assert.include(preview.json as object, { current_plan: "Plus Plan", new_plan: "Pro Plan", currency: "usd" })
        const stripe = yield* Stripe
        stripe.failNext("card_declined")
        assert.strictEqual((yield* post(user, "/career/subscriptions/upgrade", { new_plan_id: pro })).status, 402)
        assert.strictEqual((yield* localSubscription(subscriptionId))!.planId, yield* planId("CAREER", "Plus Plan"))
        const upgraded = yield* post(user, "/career/subscriptions/upgrade", { new_plan_id: pro })
        assert.strictEqual(upgraded.status, 200, upgraded.text)
        assert.strictEqual((upgraded.json as { plan: { name: string } }).plan.name, "Pro Plan")
        expectError(
          yield* post(user, "/career/subscriptions/upgrade", { new_plan_id: pro }),
          400,
          "Already subscribed to this plan."
        )
        expectError(
          yield* post(user, "/career/subscriptions/preview-upgrade", {
            new_plan_id: yield* planId("CAREER", "Plus Plan")
          }),
          400,
          "Cannot downgrade from Pro Plan to Plus Plan. Please cancel and resubscribe to a different plan."
        )
        expectError(
          yield* post(user, "/career/subscriptions/upgrade", { new_plan_id: uuid() }),
          404,
          "Career plan not found."
        )
      }))

    it.effect("a Free subscription has no Stripe subscription to change or cancel", () =>
      Effect.gen(function*() {
        const user = yield* newUser("career-free")
        const pro = yield* planId("CAREER", "Pro Plan")
        expectError(
          yield* post(user, "/career/subscriptions/upgrade", { new_plan_id: uuid() }),
          404,
          "Subscription has no Stripe ID."
        )
        expectError(
          yield* post(user, "/career/subscriptions/preview-upgrade", { new_plan_id: pro }),
          404,
          "Subscription has no Stripe ID."
        )
        expectError(yield* post(user, "/career/subscriptions/cancel", {}), 400, "The Free plan cannot be cancelled.")
      }))

    it.effect("cancels at the period's end once, then now, back on the Free plan", () =>
      Effect.gen(function*() {
        const { subscriptionId, user } = yield* paidUser("career-cancel")
        const atEnd = yield* post(user, "/career/subscriptions/cancel", { cancel_at_period_end: true })
        assert.deepStrictEqual(atEnd.json, {
          message: "Subscription will be cancelled at end of billing period.",
          success: true
        })
        assert.isTrue((yield* careerOf(user)).cancel_at_period_end)
        expectError(
          yield* post(user, "/career/subscriptions/cancel", {}),
          400,
          "Subscription is already set to cancel at the end of the billing period."
        )
        const now = yield* post(user, "/career/subscriptions/cancel", { cancel_at_period_end: false })
        assert.deepStrictEqual(now.json, { message: "Subscription has been cancelled immediately.", success: true })
        assert.strictEqual((yield* localSubscription(subscriptionId))!.status, "CANCELED")
        const current = yield* careerOf(user)
        assert.strictEqual(current.plan.name, "Free")
        assert.strictEqual(current.status, "active")
      }))

    it.effect("lists payments and opens the portal", () =>
      Effect.gen(function*() {
        const { user } = yield* paidUser("career-payments")
        const page = yield* call("GET", "/career/subscriptions/payments", { token: user.token })
        assert.strictEqual(page.status, 200, page.text)
        const body = page.json as {
          payments: Array<Record<string, unknown>>
          total: number
          limit: number
          offset: number
        }
        assert.include(body, { total: 1, limit: 20, offset: 0 })
        assert.include(body.payments[0]!, { amount: "20.00", billing_reason: "subscription_create" })
        const portal = yield* post(user, "/career/subscriptions/portal", { return_url: "http://localhost:3000/me" })
        assert.strictEqual(portal.status, 200, portal.text)
        expectError(
          yield* post(user, "/career/subscriptions/portal", { return_url: "javascript:alert(1)" }),
          400,
          "Invalid return URL. Must be in allowed origins and use HTTPS in production."
        )
        const anonymous = yield* call("GET", "/career/subscriptions/payments")
        assert.strictEqual(anonymous.status, 401)
      }))

    it.effect("needs a subscription to preview or cancel", () =>
      Effect.gen(function*() {
        const user = yield* newUser("career-none")
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM career_subscription_contexts WHERE user_id = ${user.id}`
        expectError(
          yield* post(user, "/career/subscriptions/preview-upgrade", {
            new_plan_id: yield* planId("CAREER", "Pro Plan")
          }),
          404,
          "Career subscription not found."
        )
        expectError(
          yield* post(user, "/career/subscriptions/upgrade", { new_plan_id: uuid() }),
          404,
          "No active subscription."
        )
        expectError(yield* post(user, "/career/subscriptions/cancel", {}), 404, "Career subscription not found.")
      }))
  })
})
