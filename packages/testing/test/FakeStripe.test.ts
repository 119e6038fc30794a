/**
 * The fake Stripe against the official `stripe` client: the wire format it speaks (form bodies,
 * headers, errors, idempotency replays and conflicts), the checkout → subscription → invoice flow
 * it keeps, and webhook deliveries the client's own `constructEvent` accepts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import Stripe from "stripe"
import { makeFakeStripe } from "../src/FakeStripe.ts"
import { parseStripeForm } from "../src/FakeStripeWire.ts"

const clientOf = (url: string, maxNetworkRetries = 0) => {
  const address = new URL(url)
  return new Stripe("sk_test_fake", {
    apiVersion: Stripe.API_VERSION,
    host: address.hostname,
    port: address.port,
    protocol: "http",
    maxNetworkRetries,
    httpClient: Stripe.createFetchHttpClient()
  })
}

const prices = { price_base: 1900, price_seat: 200 }

describe("FakeStripe", () => {
  it("parses Stripe's bracket notation", () => {
    assert.deepStrictEqual(
      parseStripeForm("items[0][id]=si_1&items[0][quantity]=3&metadata[plan_id]=p&mode=subscription"),
      { items: [{ id: "si_1", quantity: "3" }], metadata: { plan_id: "p" }, mode: "subscription" }
    )
  })

  it.effect("answers the client's calls with Stripe's headers and shapes, replaying idempotent requests", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeStripe({ prices })
      const stripe = clientOf(fake.url)
      const first = yield* Effect.promise(() =>
        stripe.customers.create({ email: "ada@example.com" }, { idempotencyKey: "customer-1" })
      )
      const again = yield* Effect.promise(() =>
        stripe.customers.create({ email: "ada@example.com" }, { idempotencyKey: "customer-1" })
      )
      assert.strictEqual(again.id, first.id)
      assert.strictEqual(fake.customers().length, 1)
      const [request] = fake.server.requestsTo("POST /v1/customers")
      assert.strictEqual(request!.headers["authorization"], "Bearer sk_test_fake")
      assert.strictEqual(request!.headers["stripe-version"], Stripe.API_VERSION)
      assert.strictEqual(request!.headers["idempotency-key"], "customer-1")
      assert.include(String(request!.headers["content-type"]), "application/x-www-form-urlencoded")

      const conflict = yield* Effect.flip(
        Effect.tryPromise(() =>
          stripe.customers.create({ email: "grace@example.com" }, { idempotencyKey: "customer-1" })
        )
      )
      const error = conflict.cause as InstanceType<typeof Stripe.errors.StripeError>
      assert.strictEqual(error.type, "StripeIdempotencyError")
      assert.match(String(error.requestId), /^req_/)
    }))

  it.effect("runs checkout → subscription → invoices, and scripted declines and failures", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeStripe({ prices })
      const stripe = clientOf(fake.url)
      const customer = yield* Effect.promise(() => stripe.customers.create({ email: "ada@example.com" }))
      const session = yield* Effect.promise(() =>
        stripe.checkout.sessions.create({
          mode: "subscription",
          customer: customer.id,
          success_url: "https://app.example.com/ok",
          cancel_url: "https://app.example.com/cancel",
          line_items: [{ price: "price_base", quantity: 1 }, { price: "price_seat", quantity: 3 }],
          subscription_data: { metadata: { workspace_id: "ws-1", seat_count: "3" } }
        })
      )
      const { events, subscriptionId } = fake.completeCheckout(session.id)
      assert.deepStrictEqual(events.map((event) => event.type), [
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.paid",
        "invoice.payment_succeeded"
      ])
      const subscription = yield* Effect.promise(() => stripe.subscriptions.retrieve(subscriptionId))
      assert.strictEqual(subscription.status, "active")
      assert.deepStrictEqual(subscription.metadata, { workspace_id: "ws-1", seat_count: "3" })
      assert.strictEqual(subscription.items.data[1]!.quantity, 3)
      assert.isNumber(subscription.items.data[0]!.current_period_end)
      const invoice = events[2]!.data.object as { parent: { subscription_details: { subscription: string } } }
      assert.strictEqual(invoice.parent.subscription_details.subscription, subscriptionId)

      fake.failNext("card_declined")
      const seatItem = subscription.items.data[1]!.id
      const declined = yield* Effect.flip(Effect.tryPromise(() =>
        stripe.subscriptions.update(subscriptionId, {
          items: [{ id: seatItem, quantity: 5 }],
          proration_behavior: "always_invoice",
          payment_behavior: "error_if_incomplete"
        })
      ))
      const card = declined.cause as InstanceType<typeof Stripe.errors.StripeCardError>
      assert.strictEqual(card.type, "StripeCardError")
      assert.strictEqual(card.decline_code, "generic_decline")
      assert.strictEqual(
        (yield* Effect.promise(() => stripe.subscriptions.retrieve(subscriptionId))).items.data[1]!.quantity,
        3
      )

      fake.failNext("server_error", 2)
      const failed = yield* Effect.flip(
        Effect.tryPromise(() => stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true }))
      )
      assert.strictEqual((failed.cause as InstanceType<typeof Stripe.errors.StripeError>).type, "StripeAPIError")
      const retried = clientOf(fake.url, 2)
      const updated = yield* Effect.promise(() =>
        retried.subscriptions.update(subscriptionId, { cancel_at_period_end: true })
      )
      assert.isTrue(updated.cancel_at_period_end)

      assert.deepStrictEqual(fake.renew(subscriptionId).map((event) => event.type), [
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated"
      ])
      assert.deepStrictEqual(fake.failPayment(subscriptionId).map((event) => event.type), [
        "invoice.payment_failed",
        "customer.subscription.updated"
      ])
      assert.deepStrictEqual(fake.endSubscription(subscriptionId).map((event) => event.type), [
        "customer.subscription.deleted"
      ])
      const created = fake.events().map((event) => event.created)
      assert.deepStrictEqual(created, created.toSorted((a, b) => a - b))
    }))

  it.effect("signs deliveries exactly as Stripe does", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeStripe({ prices, webhookSecret: "whsec_test" })
      const customer = yield* Effect.promise(() => clientOf(fake.url).customers.create({}))
      const session = yield* Effect.promise(() =>
        clientOf(fake.url).checkout.sessions.create({
          mode: "subscription",
          customer: customer.id,
          line_items: [{ price: "price_base", quantity: 1 }]
        })
      )
      const [event] = fake.completeCheckout(session.id).events
      const { body, headers } = fake.signed(event!)
      const verified = clientOf(fake.url).webhooks.constructEvent(body, headers["stripe-signature"]!, "whsec_test", 300)
      assert.strictEqual(verified.id, event!.id)
      assert.throws(() => clientOf(fake.url).webhooks.constructEvent(body, headers["stripe-signature"]!, "whsec_other"))
    }))
})
