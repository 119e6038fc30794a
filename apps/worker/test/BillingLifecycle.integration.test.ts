/**
 * The whole life of a subscription with the real programs: the API and the worker as processes,
 * against PostgreSQL, RabbitMQ, a fake Stripe (deliveries signed as Stripe signs them) and a fake
 * Brevo. A workspace: checkout → `checkout.session.completed` → active with seats → invitations
 * up to the seats → more seats → preview and upgrade → a failed payment and its email → cancel
 * at the period's end → reactivate → deleted → the Free plan. Then the same for Career.
 */
import { allQueueNames, MessageSecrets } from "@cuebx/broker"
import { DatabaseLive } from "@cuebx/db"
import {
  type FakeHttpServer,
  type FakeStripe,
  freePort,
  makeFakeHttpServer,
  makeFakeStripe,
  spawnProgram,
  TestEnvironment,
  TestInfra
} from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { randomInt } from "node:crypto"

const prices = {
  price_1NEXAMPLEBASIC: 1900,
  price_1NEXAMPLEBASICSEAT: 200,
  price_1NEXAMPLEPROFESSIONAL: 4900,
  price_1NEXAMPLEPROFESSIONALSEAT: 500,
  price_1NEXAMPLECAREERPLUS: 2000,
  price_1NEXAMPLECAREERPRO: 4000
}

class Fakes extends Context.Service<Fakes, { readonly stripe: FakeStripe; readonly brevo: FakeHttpServer }>()(
  "test/BillingFakes"
) {}

const Infra = Layer.mergeAll(
  MessageSecrets.layer,
  Layer.effect(
    Fakes,
    Effect.gen(function*() {
      return {
        stripe: yield* makeFakeStripe({ prices }),
        brevo: yield* makeFakeHttpServer("brevo", {
          "POST /v3/smtp/email": { status: 201, body: { messageId: "<m@b>" } }
        })
      }
    })
  )
).pipe(Layer.provideMerge(DatabaseLive), Layer.provideMerge(TestInfra.layer({ queues: allQueueNames() })))

interface Programs {
  readonly url: string
}

/** The API and the worker, started on the test's infrastructure and the fakes. */
const programs = Effect.gen(function*() {
  const { env } = yield* TestEnvironment
  const { brevo, stripe } = yield* Fakes
  const port = yield* freePort
  const shared = {
    ...env,
    STRIPE_API_BASE_URL: stripe.url,
    STRIPE_API_KEY: "sk_test_cuebx_lifecycle_0123456789abcdefghij",
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    BREVO_BASE_URL: `${brevo.url}/v3`,
    BREVO_API_KEY: "xkeysib-test",
    QUEUE_RETRY_DELAY: "300 millis"
  }
  const api = yield* spawnProgram("apps/api/src/main.ts", {
    ...shared,
    PORT: String(port),
    HOST: "127.0.0.1",
    TRUSTED_PROXY_COUNT: "1"
  })
  const worker = yield* spawnProgram("apps/worker/src/main.ts", shared)
  yield* api.waitForOutput("CueBX API listening", "60 seconds")
  yield* worker.waitForOutput("CueBX worker started", "60 seconds")
  return { url: `http://127.0.0.1:${port}` } satisfies Programs
})

/** The fields of the API's answers this test reads. */
interface Body {
  readonly [key: string]: unknown
  readonly id: string
  readonly status: string
  readonly seat_count: number
  readonly session_id: string
  readonly access_token: string
  readonly total_due: string
  readonly cancel_at_period_end: boolean
  readonly plan: { readonly name: string }
}

interface Answer {
  readonly status: number
  readonly json: Body
}

const http = (
  programs: Programs,
  method: string,
  path: string,
  options: {
    readonly token?: string
    readonly body?: unknown
    readonly raw?: { body: string; headers: Record<string, string> }
  } = {}
) =>
  Effect.promise(async (): Promise<Answer> => {
    const headers: Record<string, string> = {
      "x-forwarded-for": `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.raw?.headers
    }
    const response = await fetch(`${programs.url}${path}`, {
      method,
      headers,
      ...(options.raw !== undefined
        ? { body: options.raw.body }
        : options.body === undefined
        ? {}
        : { body: JSON.stringify(options.body) })
    })
    const text = await response.text()
    return { status: response.status, json: (text === "" ? null : JSON.parse(text)) as Body }
  })

const expectStatus = (answer: Answer, status: number) =>
  assert.strictEqual(answer.status, status, JSON.stringify(answer.json))

let counter = 0
const signUp = (programs: Programs, label: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const secrets = yield* MessageSecrets
    const email = `${label}-${Date.now()}-${counter++}@example.com`
    expectStatus(
      yield* http(programs, "POST", "/auth/signup", {
        body: { email, password: "Correct-Horse-9", full_name: "Ada Lovelace" }
      }),
      201
    )
    const [row] = yield* sql<{ readonly code: string }>`
      SELECT payload->>'otp_code' AS code FROM outbox_messages WHERE queue = 'otp_emails' AND payload->>'email' = ${email}`
    const verified = yield* http(programs, "POST", "/auth/signup/verify", {
      body: { email, otp_code: yield* secrets.open(row!.code) }
    })
    expectStatus(verified, 200)
    const me = yield* http(programs, "GET", "/auth/me", { token: verified.json.access_token })
    return { id: me.json.id, email, token: verified.json.access_token }
  })

/** Until `check` holds, polling; the worker applies events asynchronously. */
const eventually = <A>(effect: Effect.Effect<A>, until: (value: A) => boolean) =>
  effect.pipe(
    Effect.repeat({ until, schedule: Schedule.spaced("100 millis") }),
    Effect.timeout("30 seconds"),
    Effect.orDie
  )

const deliver = (programs: Programs, stripe: FakeStripe, events: ReadonlyArray<Parameters<FakeStripe["signed"]>[0]>) =>
  Effect.forEach(
    events,
    (event) =>
      Effect.map(
        http(programs, "POST", "/webhooks/stripe", { raw: stripe.signed(event) }),
        (answer) => expectStatus(answer, 200)
      )
  )

const planIds = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ id: string; name: string; productType: string }>`SELECT id, name, product_type FROM plans`
  return (product: string, name: string) => rows.find((row) => row.productType === product && row.name === name)!.id
})

const emailsTo = (brevo: FakeHttpServer, address: string, subject: RegExp) =>
  brevo.requestsTo("POST /v3/smtp/email").filter((request) => {
    const body = request.parsedBody as { to: Array<{ email: string }>; subject: string }
    return body.to[0]?.email === address && subject.test(body.subject)
  })

const urls = { success_url: "https://app.cuebx.test/ok", cancel_url: "https://app.cuebx.test/cancel" }

layer(Infra, { excludeTestServices: true, timeout: 240_000 })(
  "a subscription's life with the real API and worker",
  (it) => {
    describe("CueBX API, per workspace", () => {
      it.effect("checkout → seats → invitations → upgrade → failed payment → cancel → reactivate → deleted → Free", () =>
        Effect.gen(function*() {
          const { brevo, stripe } = yield* Fakes
          const running = yield* programs
          const secrets = yield* MessageSecrets
          const sql = yield* SqlClient.SqlClient
          const planOf = yield* planIds
          const owner = yield* signUp(running, "life-owner")
          const invitees = [
            yield* signUp(running, "life-a"),
            yield* signUp(running, "life-b"),
            yield* signUp(running, "life-c")
          ]
          const team = yield* http(running, "POST", "/api/workspaces", {
            token: owner.token,
            body: { display_name: "Life" }
          })
          const workspaceId = team.json.id
          const sub = `/api/subscriptions/workspaces/${workspaceId}`
          const current = () => Effect.map(http(running, "GET", sub, { token: owner.token }), (answer) => answer.json)

          const checkout = yield* http(running, "POST", `${sub}/checkout`, {
            token: owner.token,
            body: { plan_id: planOf("API", "Basic"), seat_count: 3, ...urls }
          })
          expectStatus(checkout, 200)
          const { events, subscriptionId } = stripe.completeCheckout(checkout.json.session_id)
          yield* deliver(running, stripe, events)
          yield* eventually(current(), (found) => found?.status === "active" && found.seat_count === 3)

          const invite = (email: string) =>
            http(running, "POST", `/api/workspaces/${workspaceId}/invitations`, {
              token: owner.token,
              body: { email, callback_url: "http://localhost:3000/join" }
            })
          const accept = (invitee: { email: string; token: string }) =>
            Effect.gen(function*() {
              const [row] = yield* sql<{ readonly link: string }>`
              SELECT payload->>'invitation_link' AS link FROM outbox_messages
              WHERE queue = 'workspace_invitation_emails' AND payload->>'email' = ${invitee.email}`
              const token = new URL(yield* secrets.open(row!.link)).searchParams.get("token")
              expectStatus(
                yield* http(running, "POST", "/api/workspaces/invitations/accept", {
                  token: invitee.token,
                  body: { token }
                }),
                200
              )
            })
          for (const invitee of invitees.slice(0, 2)) {
            expectStatus(yield* invite(invitee.email), 201)
            yield* accept(invitee)
          }
          const full = yield* invite(invitees[2]!.email)
          assert.deepStrictEqual([full.status, full.json], [402, { detail: "No seats available. Current: 3 seats." }])

          expectStatus(
            yield* http(running, "PATCH", `${sub}/seats`, { token: owner.token, body: { seat_count: 4 } }),
            200
          )
          expectStatus(yield* invite(invitees[2]!.email), 201)
          yield* accept(invitees[2]!)

          const preview = yield* http(running, "POST", `${sub}/preview-upgrade`, {
            token: owner.token,
            body: { new_plan_id: planOf("API", "Professional") }
          })
          expectStatus(preview, 200)
          assert.isTrue(Number(preview.json.total_due) > 0)
          const upgraded = yield* http(running, "POST", `${sub}/upgrade`, {
            token: owner.token,
            body: { new_plan_id: planOf("API", "Professional") }
          })
          expectStatus(upgraded, 200)
          assert.strictEqual(upgraded.json.plan.name, "Professional")

          yield* deliver(running, stripe, stripe.failPayment(subscriptionId))
          yield* eventually(current(), (found) => found?.status === "past_due")
          yield* eventually(Effect.sync(() => emailsTo(brevo, owner.email, /payment/i)), (found) => found.length === 1)

          const canceled = yield* http(running, "POST", `${sub}/cancel`, {
            token: owner.token,
            body: { cancel_at_period_end: true }
          })
          expectStatus(canceled, 200)
          assert.isTrue(canceled.json.cancel_at_period_end)
          expectStatus(yield* http(running, "POST", `${sub}/reactivate`, { token: owner.token, body: {} }), 200)
          assert.isFalse((yield* current()).cancel_at_period_end)

          yield* deliver(running, stripe, stripe.endSubscription(subscriptionId))
          yield* eventually(current(), (found) => found?.plan?.name === "Free")
          const members = yield* http(running, "GET", `/api/workspaces/${workspaceId}/members`, { token: owner.token })
          assert.deepStrictEqual(
            (members.json as unknown as Array<{ status: string }>).map((member) => member.status).toSorted(),
            ["disabled", "disabled", "disabled", "enabled"]
          )
          yield* eventually(Effect.sync(() => emailsTo(brevo, owner.email, /cancel/i)), (found) => found.length === 1)
        }))
    })

    describe("CueBX Career, per user", () => {
      it.effect("checkout → upgrade → failed payment → cancel at the period's end → deleted → Free", () =>
        Effect.gen(function*() {
          const { brevo, stripe } = yield* Fakes
          const running = yield* programs
          const planOf = yield* planIds
          const user = yield* signUp(running, "career-life")
          const current = () =>
            Effect.map(http(running, "GET", "/career/subscriptions", { token: user.token }), (answer) => answer.json)
          // The worker creates the new account's Stripe customer; the checkout uses it.
          yield* eventually(
            Effect.sync(() =>
              stripe.customers().filter((customer) =>
                (customer["metadata"] as Record<string, string>)["user_id"] === user.id
              )
            ),
            (found) => found.length === 1
          )
          const checkout = yield* http(running, "POST", "/career/subscriptions/checkout", {
            token: user.token,
            body: { plan_id: planOf("CAREER", "Plus Plan"), ...urls }
          })
          expectStatus(checkout, 200)
          const { events, subscriptionId } = stripe.completeCheckout(checkout.json.session_id)
          yield* deliver(running, stripe, events)
          yield* eventually(current(), (found) => found?.plan?.name === "Plus Plan" && found.status === "active")
          yield* eventually(
            Effect.sync(() => emailsTo(brevo, user.email, /activ|welcome|subscri/i)),
            (found) => found.length >= 1
          )

          const upgraded = yield* http(running, "POST", "/career/subscriptions/upgrade", {
            token: user.token,
            body: { new_plan_id: planOf("CAREER", "Pro Plan") }
          })
          expectStatus(upgraded, 200)
          assert.strictEqual(upgraded.json.plan.name, "Pro Plan")

          yield* deliver(running, stripe, stripe.failPayment(subscriptionId))
          yield* eventually(current(), (found) => found?.status === "past_due")
          yield* eventually(Effect.sync(() => emailsTo(brevo, user.email, /payment/i)), (found) => found.length === 1)

          const canceled = yield* http(running, "POST", "/career/subscriptions/cancel", { token: user.token, body: {} })
          expectStatus(canceled, 200)
          assert.isTrue((yield* current()).cancel_at_period_end)
          yield* deliver(running, stripe, stripe.endSubscription(subscriptionId))
          yield* eventually(current(), (found) => found?.plan?.name === "Free" && found.status === "active")
        }))
    })
  }
)
