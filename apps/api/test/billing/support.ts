/**
 * Helpers for the billing tests: the API against a fake Stripe (its prices are the catalogue's
 * configured ones), consuming its own queues (`ENABLE_CONSUMERS`) so webhook events are applied
 * as the worker applies them, signed deliveries, and waits on what the handlers record.
 */
import { type FakeStripe, type FakeStripeEvent, makeFakeHttpServer, makeFakeStripe } from "@cuebx/testing"
import { assert } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call } from "../auth/support.ts"
import type { TestUser } from "../workspaces/support.ts"

/** The catalogue's Stripe prices (the example ids of `.env.example`), in cents. */
export const cataloguePrices = {
  price_1NEXAMPLEBASIC: 1900,
  price_1NEXAMPLEBASICSEAT: 200,
  price_1NEXAMPLEPROFESSIONAL: 4900,
  price_1NEXAMPLEPROFESSIONALSEAT: 500,
  price_1NEXAMPLECAREERPLUS: 2000,
  price_1NEXAMPLECAREERPRO: 4000
}

export class Stripe extends Context.Service<Stripe, FakeStripe>()("test/FakeStripe") {}

export const stripeEnv = (fake: FakeStripe): Record<string, string> => ({
  STRIPE_API_BASE_URL: fake.url,
  STRIPE_API_KEY: "sk_test_cuebx_fake_0123456789abcdefghijklmnop",
  STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
  STRIPE_MAX_NETWORK_RETRIES: "0"
})

/** The API with a fake Stripe (as `Stripe`), a fake Brevo, and its own consumers. */
export const billingTestLayer = (env: Readonly<Record<string, string>> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const stripe = yield* makeFakeStripe({ prices: cataloguePrices })
    const brevo = yield* makeFakeHttpServer("brevo", {
      "POST /v3/smtp/email": { status: 201, body: { messageId: "<m@brevo>" } }
    })
    return authTestLayer({
      env: {
        ...stripeEnv(stripe),
        ENABLE_CONSUMERS: "true",
        BREVO_BASE_URL: `${brevo.url}/v3`,
        QUEUE_RETRY_DELAY: "200 millis",
        ...env
      }
    }).pipe(Layer.merge(Layer.succeed(Stripe, stripe)))
  }))

/** Delivers events to the API's webhook, signed, one after the other; each must be accepted. */
export const deliver = (...events: ReadonlyArray<FakeStripeEvent>) =>
  Effect.gen(function*() {
    const stripe = yield* Stripe
    for (const event of events) {
      const { body, headers } = stripe.signed(event)
      const response = yield* call("POST", "/webhooks/stripe", { body, headers })
      assert.strictEqual(response.status, 200, response.text)
    }
  })

/** Waits until the handlers processed every one of these events. */
export const processed = (...events: ReadonlyArray<FakeStripeEvent>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const ids = events.map((event) => event.id)
    yield* sql<{ readonly count: number }>`
      SELECT count(*)::int AS count FROM stripe_event_logs WHERE event_id IN ${
      sql.in(ids)
    } AND processed_at IS NOT NULL`
      .pipe(
        Effect.repeat({
          until: ([row]) => row!.count === new Set(ids).size,
          schedule: Schedule.spaced("50 millis")
        }),
        Effect.timeout("30 seconds"),
        Effect.orDie
      )
  })

/** Delivers the events and waits until they are applied. */
export const deliverAndApply = (...events: ReadonlyArray<FakeStripeEvent>) =>
  Effect.andThen(deliver(...events), processed(...events))

export const planId = (product: "API" | "CAREER", name: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ readonly id: string }>`
      SELECT id FROM plans WHERE product_type = ${product} AND name = ${name}`
    assert.isDefined(row, `no ${product} plan ${name}`)
    return row!.id
  })

export const callbackUrls = {
  success_url: "https://app.cuebx.test/billing/success",
  cancel_url: "https://app.cuebx.test/billing/cancel"
}

/** Starts a checkout through the API and completes it in Stripe; returns the subscription and its events. */
export const checkoutAndPay = (
  user: TestUser,
  target: { readonly workspaceId: string; readonly plan: string; readonly seats: number } | { readonly career: string },
  options: { readonly status?: "active" | "trialing" | "incomplete" } = {}
) =>
  Effect.gen(function*() {
    const stripe = yield* Stripe
    const response = "career" in target
      ? yield* call("POST", "/career/subscriptions/checkout", {
        token: user.token,
        body: { plan_id: yield* planId("CAREER", target.career), ...callbackUrls }
      })
      : yield* call("POST", `/api/subscriptions/workspaces/${target.workspaceId}/checkout`, {
        token: user.token,
        body: { plan_id: yield* planId("API", target.plan), seat_count: target.seats, ...callbackUrls }
      })
    assert.strictEqual(response.status, 200, response.text)
    const sessionId = (response.json as { session_id: string }).session_id
    return stripe.completeCheckout(sessionId, options)
  })

/** The subscription row of a Stripe subscription. */
export const localSubscription = (stripeSubscriptionId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{
      readonly id: string
      readonly status: string
      readonly seatCount: number
      readonly planId: string
      readonly cancelAtPeriodEnd: boolean
      readonly ownerId: string
    }>`SELECT id, status, seat_count, plan_id, cancel_at_period_end, owner_id FROM subscriptions
       WHERE stripe_subscription_id = ${stripeSubscriptionId}`
    return row
  })

/** The emails of a queue the API enqueued for an address, oldest first. */
export const emailsTo = (queue: string, email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly payload: Record<string, unknown> }>`
      SELECT payload FROM outbox_messages WHERE queue = ${queue} AND payload->>'email' = ${email}
      ORDER BY created_at, id`
    return rows.map((row) => row.payload)
  })
