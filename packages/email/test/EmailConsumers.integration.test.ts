/**
 * The email queues' handlers against a fake Brevo: a `sales_inquiry_emails` message becomes the
 * email Brevo receives (recipient, Reply-To, escaped content), and a payload the schema rejects
 * is a permanent failure that sends nothing.
 */
import { MessageSecrets, PermanentFailure, type QueueHandler } from "@cuebx/broker"
import { type FakeHttpServer, makeFakeHttpServer } from "@cuebx/testing"
import { NodeServices } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { Brevo } from "../src/Brevo.ts"
import { emailHandlers } from "../src/EmailConsumers.ts"
import { SalesInquiryMessage } from "../src/EmailPayloads.ts"

const route = "POST /v3/smtp/email"

class FakeBrevo extends Context.Service<FakeBrevo, FakeHttpServer>()("test/FakeBrevo") {
  static readonly layer = Layer.effect(
    FakeBrevo,
    makeFakeHttpServer("brevo", { [route]: { status: 201, body: { messageId: "<sales@smtp-relay.mailin.fr>" } } })
  )
}

// The real Brevo client and secrets, configured through Config like in the worker.
const ConsumerTest = Layer.unwrap(Effect.gen(function*() {
  const fake = yield* FakeBrevo
  return Layer.mergeAll(
    Brevo.layer.pipe(Layer.provide(Layer.mergeAll(FetchHttpClient.layer, NodeServices.layer))),
    MessageSecrets.layer
  ).pipe(
    Layer.provideMerge(ConfigProvider.layer(ConfigProvider.fromUnknown({
      BREVO_API_KEY: "xkeysib-test-key",
      BREVO_BASE_URL: `${fake.url}/v3`,
      BREVO_SENDER_EMAIL: "no-reply@cuebx.example",
      BREVO_SENDER_NAME: "CueBX",
      APP_NAME: "CueBX"
    })))
  )
})).pipe(Layer.provideMerge(FakeBrevo.layer))

const salesHandler = emailHandlers.find((handler) => handler.queue === SalesInquiryMessage.queue)

const handle = (handler: QueueHandler<Brevo | MessageSecrets>, json: unknown) =>
  handler.handle(json, { messageId: crypto.randomUUID(), queue: handler.queue.name, attempt: 0, headers: {} })

const inquiry = {
  to: "sales@cuebx.example",
  inquiry_id: "0b9f7a52-2d7e-4c38-9a51-3f0f7c1d2e4a",
  first_name: "John",
  last_name: "<b>Doe</b>",
  email: "john.doe@example.com",
  message: "We need 40 seats & SSO.",
  received_at: "2026-03-01T12:00:00.000Z"
}

layer(ConsumerTest, { excludeTestServices: true })("sales_inquiry_emails handler", (it) => {
  it.effect("sends the inquiry to the sales team with Reply-To the requester", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBrevo
      fake.reset()
      assert.isDefined(salesHandler, "the email handlers cover sales_inquiry_emails")
      yield* handle(salesHandler!, inquiry)

      const requests = fake.requestsTo(route)
      assert.strictEqual(requests.length, 1)
      const body = requests[0]!.parsedBody as Record<string, unknown>
      assert.deepStrictEqual(body["sender"], { name: "CueBX", email: "no-reply@cuebx.example" })
      assert.deepStrictEqual(body["to"], [{ email: "sales@cuebx.example" }])
      assert.deepStrictEqual(body["replyTo"], { email: "john.doe@example.com", name: "John <b>Doe</b>" })
      assert.strictEqual(body["subject"], "New sales inquiry from John <b>Doe</b> - CueBX")
      assert.deepStrictEqual(body["tags"], ["sales_inquiry"])
      const html = String(body["htmlContent"])
      assert.include(html, "John &lt;b&gt;Doe&lt;/b&gt;")
      assert.include(html, "We need 40 seats &amp; SSO.")
      assert.notInclude(html, "<b>Doe</b>")
      assert.include(String(body["textContent"]), "We need 40 seats & SSO.")
      assert.include(String(body["textContent"]), "- Inquiry ID: 0b9f7a52-2d7e-4c38-9a51-3f0f7c1d2e4a")
    }))

  it.effect("a payload without a recipient is a permanent failure and sends nothing", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBrevo
      fake.reset()
      const { to: _, ...withoutRecipient } = inquiry
      const error = yield* handle(salesHandler!, withoutRecipient).pipe(Effect.flip)
      assert.instanceOf(error, PermanentFailure)
      assert.include((error as PermanentFailure).reason, "invalid payload")
      assert.strictEqual(fake.requestsTo(route).length, 0)
    }))
})
