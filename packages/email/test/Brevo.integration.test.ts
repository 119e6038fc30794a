import { type FakeHttpServer, freePort, makeFakeHttpServer } from "@cuebx/testing"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Layer, Redacted, Tracer } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { Brevo, type EmailDeliveryFailed, type EmailRejected, type OutgoingEmail } from "../src/Brevo.ts"

const apiKey = "xkeysib-test-secret-key"
const route = "POST /v3/smtp/email"

class FakeBrevo extends Context.Service<FakeBrevo, FakeHttpServer>()("test/FakeBrevo") {
  static readonly layer = Layer.effect(
    FakeBrevo,
    makeFakeHttpServer("brevo", { [route]: { status: 201, body: { messageId: "<default@smtp-relay.mailin.fr>" } } })
  )
}

// The real client, configured through Config like in production, aimed at the fake; the HTTP
// client is the one a program provides.
const BrevoAgainstFake = Layer.unwrap(Effect.gen(function*() {
  const fake = yield* FakeBrevo
  return Brevo.layer.pipe(
    Layer.provide(Layer.mergeAll(FetchHttpClient.layer, NodeServices.layer)),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      BREVO_API_KEY: apiKey,
      BREVO_BASE_URL: `${fake.url}/v3`,
      BREVO_SENDER_EMAIL: "no-reply@cuebx.example",
      BREVO_SENDER_NAME: "CueBX",
      BREVO_TIMEOUT: "300 millis"
    })))
  )
}))

const email: OutgoingEmail = {
  to: { email: "ada@example.com", name: "Ada Lovelace" },
  subject: "Verify Your Email - CueBX",
  html: "<p>Your code: 123456</p>",
  text: "Your code: 123456",
  template: "otp_email"
}

const assertNoKey = (error: EmailRejected | EmailDeliveryFailed) => {
  for (const rendered of [error.message, String(error), JSON.stringify(error)]) assert.notInclude(rendered, apiKey)
}

/** Sends `email` after scripting the fake's next answer. */
const sendAnswering = (answer: { status: number; body?: unknown; delayMs?: number }) =>
  Effect.gen(function*() {
    const fake = yield* FakeBrevo
    fake.reset()
    fake.enqueue(route, answer)
    const brevo = yield* Brevo
    return yield* brevo.send(email).pipe(Effect.flip)
  })

layer(BrevoAgainstFake.pipe(Layer.provideMerge(FakeBrevo.layer)), { excludeTestServices: true })("Brevo", (it) => {
  it.effect("sends exactly the request Brevo's v3 API expects and returns the messageId", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBrevo
      fake.reset()
      fake.enqueue(route, { status: 201, body: { messageId: "<202603011234.123456@smtp-relay.mailin.fr>" } })
      const brevo = yield* Brevo

      const result = yield* brevo.send(email)
      assert.deepStrictEqual(result, { messageId: "<202603011234.123456@smtp-relay.mailin.fr>" })

      const requests = fake.requests()
      assert.strictEqual(requests.length, 1)
      const request = requests[0]!
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.path, "/v3/smtp/email")
      assert.strictEqual(request.headers["api-key"], apiKey)
      assert.strictEqual(request.headers["content-type"], "application/json")
      assert.strictEqual(request.headers["accept"], "application/json")
      assert.deepStrictEqual(request.parsedBody, {
        sender: { name: "CueBX", email: "no-reply@cuebx.example" },
        to: [{ email: "ada@example.com", name: "Ada Lovelace" }],
        subject: "Verify Your Email - CueBX",
        htmlContent: "<p>Your code: 123456</p>",
        textContent: "Your code: 123456",
        tags: ["otp_email"]
      })
    }))

  it.effect("traces each send as a span and redacts the key even when headers are recorded", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBrevo
      fake.reset()
      const brevo = yield* Brevo
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      yield* brevo.send(email).pipe(
        Effect.provideService(Tracer.Tracer, tracer),
        Effect.provideService(HttpClient.TracerHeaderFilter, () => true)
      )
      const sendSpan = spans.find((span) => span.name === "Brevo.send")
      assert.isDefined(sendSpan)
      assert.strictEqual(sendSpan?.attributes.get("email.template"), "otp_email")
      const clientSpan = spans.find((span) => span.attributes.has("http.request.header.api-key"))
      assert.strictEqual(clientSpan?.attributes.get("http.request.header.api-key"), "<redacted>")
      for (const span of spans) {
        for (const value of span.attributes.values()) assert.notInclude(String(value), apiKey)
      }
    }))

  it.effect("leaves out the recipient's name when there is none", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBrevo
      fake.reset()
      const brevo = yield* Brevo
      const result = yield* brevo.send({ ...email, to: { email: "ops@example.com" }, template: "dlq_alert" })
      assert.strictEqual(result.messageId, "<default@smtp-relay.mailin.fr>")
      const body = fake.requestsTo(route)[0]!.parsedBody as { to: unknown; tags: unknown }
      assert.deepStrictEqual(body.to, [{ email: "ops@example.com" }])
      assert.deepStrictEqual(body.tags, ["dlq_alert"])
    }))

  it.effect("sends Reply-To when the email has one, with the name only when there is one", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBrevo
      fake.reset()
      const brevo = yield* Brevo
      yield* brevo.send({ ...email, replyTo: { email: "john.doe@example.com", name: "John Doe" } })
      yield* brevo.send({ ...email, replyTo: { email: "jane@example.com", name: "  " } })
      const bodies = fake.requestsTo(route).map((request) => request.parsedBody as Record<string, unknown>)
      assert.deepStrictEqual(bodies[0]!["replyTo"], { email: "john.doe@example.com", name: "John Doe" })
      assert.deepStrictEqual(bodies[0]!["to"], [{ email: "ada@example.com", name: "Ada Lovelace" }])
      assert.deepStrictEqual(bodies[1]!["replyTo"], { email: "jane@example.com" })
    }))

  it.effect("a 2xx answer without a messageId still counts as sent", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBrevo
      fake.reset()
      fake.enqueue(route, { status: 201, body: "accepted" })
      const brevo = yield* Brevo
      assert.deepStrictEqual(yield* brevo.send(email), { messageId: "" })
    }))

  it.effect("400 is a permanent rejection carrying Brevo's error", () =>
    Effect.gen(function*() {
      const error = yield* sendAnswering({
        status: 400,
        body: { code: "invalid_parameter", message: "email is not valid in to" }
      })
      assert.strictEqual(error._tag, "EmailRejected")
      if (error._tag !== "EmailRejected") return
      assert.strictEqual(error.status, 400)
      assert.include(error.detail, "email is not valid in to")
      assert.include(error.message, "HTTP 400")
      assertNoKey(error)
    }))

  it.effect("401 (a wrong API key) is a permanent rejection that does not echo the key", () =>
    Effect.gen(function*() {
      const error = yield* sendAnswering({ status: 401, body: { code: "unauthorized", message: "Key not found" } })
      assert.strictEqual(error._tag, "EmailRejected")
      assert.strictEqual(error.status, 401)
      assertNoKey(error)
    }))

  it.effect("truncates a long error body", () =>
    Effect.gen(function*() {
      const error = yield* sendAnswering({ status: 422, body: "x".repeat(5_000) })
      assert.strictEqual(error._tag, "EmailRejected")
      if (error._tag !== "EmailRejected") return
      assert.isBelow(error.detail.length, 600)
    }))

  it.effect.each([429, 500, 503])("%i is a transient failure", (status) =>
    Effect.gen(function*() {
      const error = yield* sendAnswering({ status, body: { code: "busy", message: "try again later" } })
      assert.strictEqual(error._tag, "EmailDeliveryFailed")
      assert.strictEqual(error.status, status)
      assert.include(error.message, "try again later")
      assertNoKey(error)
    }))

  it.effect("an answer slower than BREVO_TIMEOUT is a transient failure", () =>
    Effect.gen(function*() {
      const error = yield* sendAnswering({ status: 201, body: { messageId: "<late@x>" }, delayMs: 1_500 })
      assert.strictEqual(error._tag, "EmailDeliveryFailed")
      assert.isUndefined(error.status)
      assert.include(error.message, "no answer within")
    }))
})

const sendTo = (baseUrl: string) =>
  Brevo.use((brevo) => brevo.send(email)).pipe(
    Effect.flip,
    Effect.provide(
      Brevo.layerFromSettings({
        apiKey: Redacted.make(apiKey),
        baseUrl,
        senderEmail: "no-reply@cuebx.example",
        senderName: "CueBX",
        timeout: Duration.seconds(5)
      }).pipe(Layer.provide(FetchHttpClient.layer))
    )
  )

describe("Brevo without a server", () => {
  it.live("a refused connection is a transient failure", () =>
    Effect.gen(function*() {
      const error = yield* sendTo(`http://127.0.0.1:${yield* freePort}/v3`)
      assert.strictEqual(error._tag, "EmailDeliveryFailed")
      assert.isUndefined(error.status)
      assert.include(error.message, "ECONNREFUSED")
      assertNoKey(error)
    }))

  it.live("an unusable base URL (127.0.0.1:1, a port fetch refuses) is a transient failure", () =>
    Effect.gen(function*() {
      const error = yield* sendTo("http://127.0.0.1:1/v3")
      assert.strictEqual(error._tag, "EmailDeliveryFailed")
      assertNoKey(error)
    }))
})
