/**
 * The `expire-subscriptions` job: subscriptions whose period ended without a renewal reaching
 * CueBX are checked against Stripe; an ended one falls back to the Free plan (both products), a
 * renewed one moves on, one Stripe does not have is expired here, and Stripe unreachable leaves
 * it for the next run.
 */
import { expireSubscriptionsJob } from "@cuebx/billing"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { call } from "../auth/support.ts"
import { createTeam, newUser, subscribe, type TestUser } from "../workspaces/support.ts"
import { billingTestLayer, checkoutAndPay, deliverAndApply, localSubscription, Stripe } from "./support.ts"

/** Moves the stored period into the past, as if its end had come without news from Stripe. */
const periodEnded = (stripeSubscriptionId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`
      UPDATE subscriptions SET current_period_start = now() - interval '31 days', current_period_end = now() - interval '1 day'
      WHERE stripe_subscription_id = ${stripeSubscriptionId}`)

const planOf = (user: TestUser, path: string) =>
  Effect.map(call("GET", path, { token: user.token }), (response) => response.json as { plan: { name: string } } | null)

layer(billingTestLayer(), { excludeTestServices: true, timeout: 120_000 })("the expire-subscriptions job", (it) => {
  it.effect("falls back to Free when Stripe ended the subscription, moves on when Stripe renewed it", () =>
    Effect.gen(function*() {
      const stripe = yield* Stripe
      const owner = yield* newUser("expiry-owner")
      const ended = yield* createTeam(owner, "Ended")
      const renewed = yield* createTeam(owner, "Renewed")
      const first = yield* checkoutAndPay(owner, { workspaceId: ended, plan: "Basic", seats: 1 })
      const second = yield* checkoutAndPay(owner, { workspaceId: renewed, plan: "Basic", seats: 1 })
      const career = yield* checkoutAndPay(owner, { career: "Plus Plan" })
      yield* deliverAndApply(...first.events, ...second.events, ...career.events)
      stripe.endSubscription(first.subscriptionId)
      stripe.endSubscription(career.subscriptionId)
      stripe.renew(second.subscriptionId)
      for (const id of [first.subscriptionId, second.subscriptionId, career.subscriptionId]) yield* periodEnded(id)

      yield* expireSubscriptionsJob.run

      assert.strictEqual((yield* localSubscription(first.subscriptionId))!.status, "CANCELED")
      assert.strictEqual((yield* planOf(owner, `/api/subscriptions/workspaces/${ended}`))!.plan.name, "Free")
      assert.strictEqual((yield* localSubscription(career.subscriptionId))!.status, "CANCELED")
      assert.strictEqual((yield* planOf(owner, "/career/subscriptions"))!.plan.name, "Free")
      assert.strictEqual((yield* localSubscription(second.subscriptionId))!.status, "ACTIVE")
      const sql = yield* SqlClient.SqlClient
      const [period] = yield* sql<{ readonly ended: boolean }>`
        SELECT current_period_end < now() AS ended FROM subscriptions WHERE stripe_subscription_id = ${second.subscriptionId}`
      assert.isFalse(period!.ended)
    }))

  it.effect("expires what Stripe does not have, and leaves the rest when Stripe cannot be reached", () =>
    Effect.gen(function*() {
      const stripe = yield* Stripe
      const owner = yield* newUser("expiry-missing")
      const orphan = yield* createTeam(owner, "Orphan")
      yield* subscribe(orphan, 2, "Basic", "ACTIVE", "sub_unknown_to_stripe")
      yield* periodEnded("sub_unknown_to_stripe")
      const kept = yield* createTeam(owner, "Kept")
      const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId: kept, plan: "Basic", seats: 1 })
      yield* deliverAndApply(...events)
      yield* periodEnded(subscriptionId)
      stripe.server.setRoute("GET /v1/subscriptions/:id", (request) =>
        request.path.endsWith(subscriptionId)
          ? { status: 500, body: { error: { type: "api_error", message: "down" } } }
          : {
            status: 404,
            body: {
              error: { type: "invalid_request_error", code: "resource_missing", message: "No such subscription" }
            }
          })

      yield* expireSubscriptionsJob.run

      assert.strictEqual((yield* localSubscription("sub_unknown_to_stripe"))!.status, "CANCELED")
      assert.strictEqual((yield* planOf(owner, `/api/subscriptions/workspaces/${orphan}`))!.plan.name, "Free")
      assert.strictEqual((yield* localSubscription(subscriptionId))!.status, "ACTIVE")
    }))
})
