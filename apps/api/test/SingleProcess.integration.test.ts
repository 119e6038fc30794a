/**
 * `ENABLE_CONSUMERS=true`: the API process also consumes the queues (a single-process
 * deployment), so an email enqueued through its outbox reaches Brevo without a worker.
 */
import { MessageSecrets, Outbox } from "@cuebx/broker"
import { OtpEmailMessage } from "@cuebx/email"
import { type FakeHttpServer, makeFakeHttpServer } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { apiTestLayer } from "./support.ts"

class FakeBrevo extends Context.Service<FakeBrevo, FakeHttpServer>()("test/FakeBrevo") {}

const SingleProcess = Layer.unwrap(Effect.gen(function*() {
  const brevo = yield* makeFakeHttpServer("brevo", {
    "POST /v3/smtp/email": { status: 201, body: { messageId: "<m@brevo>" } }
  })
  return apiTestLayer({ env: { ENABLE_CONSUMERS: "true", BREVO_BASE_URL: `${brevo.url}/v3` } }).pipe(
    Layer.provideMerge(MessageSecrets.layer),
    Layer.merge(Layer.succeed(FakeBrevo, brevo))
  )
}))

layer(SingleProcess, { excludeTestServices: true })("single-process deployment", (it) => {
  it.effect("the API relays and consumes its own messages", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const outbox = yield* Outbox
      const secrets = yield* MessageSecrets
      yield* sql.withTransaction(outbox.enqueue(OtpEmailMessage, {
        email: "solo@example.com",
        otp_code: secrets.seal("765432"),
        purpose: "password_reset",
        user_name: null
      }))
      const brevo = yield* FakeBrevo
      const requests = yield* Effect.sync(() => brevo.requestsTo("POST /v3/smtp/email")).pipe(
        Effect.repeat({ until: (found) => found.length > 0, schedule: Schedule.spaced("100 millis") }),
        Effect.timeout("20 seconds")
      )
      const body = requests[0]!.parsedBody as { subject: string; textContent: string }
      assert.strictEqual(body.subject, "Password Reset - CueBX")
      assert.include(body.textContent, "765432")
    }))
})
