/**
 * `POST /webhooks/stripe` and the handlers behind it, against the fake Stripe and the API's own
 * consumers: signatures checked over the raw body, each event recorded and applied once (ten
 * parallel deliveries of one event), out-of-order deliveries converging on Stripe's state, a
 * RabbitMQ outage that changes nothing of the answer, and the webhook weaknesses of the reference
 * (spec §9: 5–9, 24), each in a test named after it.
 */
import { StripeEventPayload, StripePaymentFailedMessage } from "@cuebx/billing"
import { Outbox } from "@cuebx/broker"
import { makeTcpProxy, type TcpProxy } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { call } from "../auth/support.ts"
import {
  billingTestLayer,
  checkoutAndPay,
  deliver,
  deliverAndApply,
  emailsTo,
  localSubscription,
  processed,
  Stripe
} from "../billing/support.ts"
import { createTeam, newUser, personalWorkspaceOf } from "../workspaces/support.ts"

const webhook = (body: string, headers: Record<string, string> = {}) =>
  call("POST", "/webhooks/stripe", { body, headers: { "content-type": "application/json", ...headers } })

const workspacePlan = (token: string, workspaceId: string) =>
  Effect.map(call("GET", `/api/subscriptions/workspaces/${workspaceId}`, { token }), (response) => {
    assert.strictEqual(response.status, 200, response.text)
    return response.json as { status: string; plan: { name: string }; seat_count: number } | null
  })

const countRows = (query: string, value: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql.unsafe<{ readonly count: number }>(query, [value])
    return row!.count
  })

layer(billingTestLayer(), { excludeTestServices: true, timeout: 120_000 })("the Stripe webhook", (it) => {
  describe("signature and shape", () => {
    it.effect("missing signature, bad signature, stale signature, missing id or type, ignored types", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const event = {
          id: "evt_shape",
          object: "event",
          type: "customer.created",
          created: 1,
          data: { object: { id: "cus_1" } }
        }
        const body = JSON.stringify(event)
        const missing = yield* webhook(body)
        assert.deepStrictEqual([missing.status, missing.json], [400, { detail: "Missing Stripe-Signature header" }])
        const forged = yield* webhook(body, {
          "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}`
        })
        assert.deepStrictEqual([forged.status, forged.json], [400, { detail: "Invalid signature" }])
        const stale = stripe.signed(event as never, { timestamp: Math.floor(Date.now() / 1000) - 301 })
        const old = yield* webhook(stale.body, stale.headers)
        assert.deepStrictEqual([old.status, old.json], [400, { detail: "Invalid signature" }])
        const tampered = stripe.signed(event as never)
        const changed = yield* webhook(tampered.body.replace("cus_1", "cus_2"), tampered.headers)
        assert.deepStrictEqual([changed.status, changed.json], [400, { detail: "Invalid signature" }])

        const noId = stripe.signed({ ...event, id: "" } as never)
        const anonymous = yield* webhook(noId.body, noId.headers)
        assert.deepStrictEqual([anonymous.status, anonymous.json], [400, { detail: "Missing event id or type" }])
        const ignored = stripe.signed(event as never)
        const answer = yield* webhook(ignored.body, ignored.headers)
        assert.deepStrictEqual([answer.status, answer.json], [200, { status: "ignored" }])
      }))
  })

  describe("applied once, in any order", () => {
    it.effect("W9-6: the same event delivered 10 times in parallel is recorded, queued and applied once", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("parallel-owner")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 })
        const checkout = events[0]!
        const stripe = yield* Stripe
        const { body, headers } = stripe.signed(checkout)
        const answers = yield* Effect.all(Array.from({ length: 10 }, () => webhook(body, headers)), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(answers.map((answer) => answer.status), Array(10).fill(200))
        yield* processed(checkout)
        assert.strictEqual(
          yield* countRows("SELECT count(*)::int AS count FROM stripe_event_logs WHERE event_id = $1", checkout.id),
          1
        )
        assert.strictEqual(
          yield* countRows(
            "SELECT count(*)::int AS count FROM outbox_messages WHERE payload->>'event_id' = $1",
            checkout.id
          ),
          1
        )
        assert.strictEqual(
          yield* countRows(
            "SELECT count(*)::int AS count FROM subscriptions WHERE stripe_subscription_id = $1",
            subscriptionId
          ),
          1
        )
        assert.strictEqual((yield* emailsTo("subscription_activated_emails", owner.email)).length, 1)
        const [log] = yield* (yield* SqlClient.SqlClient)<{ eventType: string; outcome: string }>`
          SELECT event_type, outcome FROM stripe_event_logs WHERE event_id = ${checkout.id}`
        assert.deepStrictEqual(log, { eventType: "checkout.session.completed", outcome: "applied" })
      }))

    it.effect("W9-7: an update before its checkout creates the subscription from Stripe", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("early-update")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 4 })
        const [checkout, created, ...invoices] = events
        yield* deliverAndApply(created!)
        const early = yield* localSubscription(subscriptionId)
        assert.strictEqual(early!.status, "ACTIVE")
        assert.strictEqual(early!.seatCount, 4)
        assert.strictEqual(early!.ownerId, workspaceId)
        assert.strictEqual((yield* workspacePlan(owner.token, workspaceId))!.plan.name, "Basic")
        yield* deliverAndApply(checkout!, ...invoices)
        assert.strictEqual((yield* workspacePlan(owner.token, workspaceId))!.seat_count, 4)
        assert.strictEqual((yield* emailsTo("subscription_activated_emails", owner.email)).length, 1)
      }))

    it.effect("W9-7: a deletion delivered before an older update leaves the subscription ended, as in Stripe", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("late-update")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 })
        yield* deliverAndApply(...events)
        const renewal = stripe.renew(subscriptionId)
        const deletion = stripe.endSubscription(subscriptionId)
        yield* deliverAndApply(...deletion)
        yield* deliverAndApply(...renewal)
        assert.strictEqual((yield* localSubscription(subscriptionId))!.status, "CANCELED")
        const current = yield* workspacePlan(owner.token, workspaceId)
        assert.strictEqual(current!.plan.name, "Free")
        const [log] = yield* (yield* SqlClient.SqlClient)<{ outcome: string }>`
          SELECT outcome FROM stripe_event_logs WHERE event_id = ${renewal[2]!.id}`
        assert.strictEqual(log!.outcome, "stale")
        assert.strictEqual((yield* emailsTo("subscription_canceled_emails", owner.email)).length, 1)
      }))

    it.effect("W9-8: the checkout handler keeps Stripe's status and refuses events it cannot attribute", () =>
      Effect.gen(function*() {
        const owner = yield* newUser("incomplete")
        const workspaceId = yield* createTeam(owner)
        const incomplete = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 }, {
          status: "incomplete"
        })
        yield* deliverAndApply(...incomplete.events)
        assert.strictEqual((yield* localSubscription(incomplete.subscriptionId))!.status, "INCOMPLETE")
        assert.isNull(yield* workspacePlan(owner.token, workspaceId))

        const trialing = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 }, { status: "trialing" })
        yield* deliverAndApply(...trialing.events)
        assert.strictEqual((yield* workspacePlan(owner.token, workspaceId))!.status, "trialing")

        // A subscription whose metadata names no CueBX owner goes to the dead letters, untouched.
        const stripe = yield* Stripe
        const sql = yield* SqlClient.SqlClient
        const other = yield* checkoutAndPay(owner, { workspaceId: yield* createTeam(owner), plan: "Basic", seats: 1 })
        stripe.subscription(other.subscriptionId)!["metadata"] = {}
        const session = other.events[0]!
        ;(session.data.object as Record<string, unknown>)["metadata"] = {}
        yield* deliver(session)
        const [dead] = yield* sql<{ readonly errorMessage: string }>`
          SELECT error_message FROM dlq_messages WHERE queue_name LIKE 'stripe_checkout_completed_dead%'`.pipe(
          Effect.repeat({ until: (rows) => rows.length > 0, schedule: Schedule.spaced("100 millis") }),
          Effect.timeout("30 seconds")
        )
        assert.include(dead!.errorMessage, "has no CueBX owner")
        assert.isUndefined(yield* localSubscription(other.subscriptionId))
      }))

    it.effect("W9-5: invoice events read the subscription where this API version puts it, and never guess one", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("invoices")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 })
        yield* deliverAndApply(...events)
        const renewal = stripe.renew(subscriptionId)
        yield* deliverAndApply(renewal[0]!)
        const payments = yield* call("GET", `/api/subscriptions/workspaces/${workspaceId}/payments`, {
          token: owner.token
        })
        assert.strictEqual((payments.json as { total: number }).total, 2)

        const personal = yield* personalWorkspaceOf(owner)
        const before = yield* workspacePlan(owner.token, personal)
        const oneOff = {
          ...renewal[0]!,
          id: "evt_one_off_invoice",
          data: { object: { ...renewal[0]!.data.object, id: "in_one_off", parent: null } }
        }
        yield* deliverAndApply(oneOff)
        const [log] = yield* (yield* SqlClient.SqlClient)<{ outcome: string }>`
          SELECT outcome FROM stripe_event_logs WHERE event_id = 'evt_one_off_invoice'`
        assert.strictEqual(log!.outcome, "ignored")
        assert.deepStrictEqual(yield* workspacePlan(owner.token, personal), before)
      }))

    it.effect("W9-9: credits start again from 0 on a new plan and a new period", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const sql = yield* SqlClient.SqlClient
        const owner = yield* newUser("credits")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 1 })
        yield* deliverAndApply(...events)
        const used = () =>
          Effect.map(
            sql<{ readonly creditsUsed: string }>`
              SELECT credits_used FROM api_subscription_contexts WHERE workspace_id = ${workspaceId}`,
            ([row]) => row!.creditsUsed
          )
        yield* sql`UPDATE api_subscription_contexts SET credits_used = 42 WHERE workspace_id = ${workspaceId}`
        yield* deliverAndApply(...stripe.renew(subscriptionId))
        assert.strictEqual(yield* used(), "0.00")
        yield* sql`UPDATE api_subscription_contexts SET credits_used = 42 WHERE workspace_id = ${workspaceId}`
        const upgraded = yield* call("POST", `/api/subscriptions/workspaces/${workspaceId}/upgrade`, {
          token: owner.token,
          body: {
            new_plan_id:
              (yield* sql<{ id: string }>`SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional'`)[
                0
              ]!.id
          }
        })
        assert.strictEqual(upgraded.status, 200, upgraded.text)
        assert.strictEqual(yield* used(), "0.00")
      }))

    it.effect("W9-8: emails are queued with the change, in its transaction, once", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const owner = yield* newUser("emails")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 })
        yield* deliverAndApply(...events, ...events)
        const failure = stripe.failPayment(subscriptionId)
        yield* deliverAndApply(...failure, ...failure)
        const [failed] = yield* emailsTo("payment_failed_emails", owner.email)
        assert.deepStrictEqual(failed, {
          email: owner.email,
          user_name: "Ada Lovelace",
          plan_name: "Basic",
          workspace_name: "Test Workspace",
          amount: "$23.00",
          product_name: "CueBX API",
          update_payment_url: (failure[0]!.data.object as { hosted_invoice_url: string }).hosted_invoice_url
        })
        assert.strictEqual((yield* emailsTo("payment_failed_emails", owner.email)).length, 1)
        assert.strictEqual((yield* emailsTo("subscription_activated_emails", owner.email)).length, 1)
      }))

    it.effect("an event that reaches its queue again under another message id is not applied again", () =>
      Effect.gen(function*() {
        const stripe = yield* Stripe
        const sql = yield* SqlClient.SqlClient
        const outbox = yield* Outbox
        const owner = yield* newUser("again")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 1 })
        yield* deliverAndApply(...events)
        const failure = stripe.failPayment(subscriptionId)
        yield* deliverAndApply(...failure)
        const logs = sql<{ readonly eventId: string; readonly processedAt: Date; readonly outcome: string }>`
          SELECT event_id, processed_at, outcome FROM stripe_event_logs WHERE event_id IN ${
          sql.in(failure.map((event) => event.id))
        } ORDER BY event_id`
        const before = yield* logs
        // The webhook records an event once; a copy on the queue (a replayed or duplicated message) must change nothing.
        const queued = yield* sql<{ readonly payload: typeof StripeEventPayload.Encoded }>`
          SELECT payload FROM outbox_messages WHERE queue = 'stripe_payment_failed' AND payload->>'event_id' IN ${
          sql.in(failure.map((event) => event.id))
        }`
        assert.isAbove(queued.length, 0)
        const copies = yield* Effect.forEach(queued, ({ payload }) =>
          sql.withTransaction(
            outbox.enqueue(StripePaymentFailedMessage, Schema.decodeUnknownSync(StripeEventPayload)(payload))
          ))
        yield* sql<{ readonly count: number }>`
          SELECT count(*)::int AS count FROM processed_messages WHERE message_id IN ${sql.in(copies)}`.pipe(
          Effect.repeat({ until: ([row]) => row!.count === copies.length, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("20 seconds")
        )
        assert.deepStrictEqual(yield* logs, before)
        assert.strictEqual((yield* emailsTo("payment_failed_emails", owner.email)).length, 1)
      }))
  })
})

class BrokerProxy extends Context.Service<BrokerProxy, TcpProxy>()("test/BrokerProxy") {}

const outageLayer = Layer.unwrap(Effect.gen(function*() {
  const proxy = yield* makeTcpProxy({ host: "127.0.0.1", port: 5672 })
  return billingTestLayer({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}` }).pipe(
    Layer.merge(Layer.succeed(BrokerProxy, proxy))
  )
}))

layer(outageLayer, { excludeTestServices: true, timeout: 120_000 })(
  "the Stripe webhook while RabbitMQ is down",
  (it) => {
    it.effect("W9-24: answers at once, and the event is applied once RabbitMQ is back", () =>
      Effect.gen(function*() {
        const proxy = yield* BrokerProxy
        const owner = yield* newUser("outage")
        const workspaceId = yield* createTeam(owner)
        const { events, subscriptionId } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 })
        proxy.cut()
        yield* deliver(...events, ...events)
        assert.isUndefined(yield* localSubscription(subscriptionId))
        proxy.restore()
        yield* processed(...events)
        const stripe = yield* Stripe
        const local = yield* localSubscription(subscriptionId)
        assert.strictEqual(local!.status, String(stripe.subscription(subscriptionId)!["status"]).toUpperCase())
        assert.strictEqual((yield* emailsTo("subscription_activated_emails", owner.email)).length, 1)
      }))
  }
)
