/**
 * The worker as a real process against RabbitMQ, PostgreSQL and a fake Brevo: an email enqueued
 * through the outbox is sent exactly as Brevo expects; failures retry then dead-letter with an
 * alert; SIGKILL mid-send loses nothing; SIGTERM lets the send in flight finish.
 */
import { allQueueNames, MessageSecrets, Outbox } from "@cuebx/broker"
import { DatabaseLive } from "@cuebx/db"
import { OtpEmailMessage } from "@cuebx/email"
import {
  type FakeHttpServer,
  type FakeResponse,
  makeFakeHttpServer,
  type RecordedRequest,
  spawnProgram,
  TestEnvironment,
  TestInfra
} from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"

const entry = "apps/worker/src/main.ts"

class FakeBrevo extends Context.Service<FakeBrevo, FakeHttpServer>()("test/FakeBrevo") {}

const sent = { status: 201, body: { messageId: "<202611290001.1@smtp-relay.mailin.fr>" } }

const WorkerTest = Layer.mergeAll(Outbox.layer, MessageSecrets.layer).pipe(
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(TestInfra.layer({ queues: allQueueNames() })),
  Layer.provideMerge(Layer.effect(FakeBrevo, makeFakeHttpServer("brevo", { "POST /v3/smtp/email": sent })))
)

const workerEnvironment = Effect.gen(function*() {
  const { env } = yield* TestEnvironment
  const brevo = yield* FakeBrevo
  return {
    ...env,
    BREVO_BASE_URL: `${brevo.url}/v3`,
    BREVO_API_KEY: "xkeysib-test-key",
    BREVO_SENDER_EMAIL: "no-reply@cuebx.example",
    BREVO_SENDER_NAME: "CueBX",
    BREVO_TIMEOUT: "5 seconds",
    ADMIN_ALERT_EMAIL: "ops@cuebx.example",
    QUEUE_RETRY_DELAY: "300 millis"
  }
})

const enqueueOtp = (email: string, code: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    const secrets = yield* MessageSecrets
    return yield* sql.withTransaction(outbox.enqueue(OtpEmailMessage, {
      email,
      otp_code: secrets.seal(code),
      purpose: "email_verification",
      user_name: "Ada <Lovelace>"
    }))
  })

const recipientOf = (request: RecordedRequest) =>
  (request.parsedBody as { to: ReadonlyArray<{ email: string }> }).to[0]?.email

const emailsTo = (brevo: FakeHttpServer, address: string) =>
  brevo.requestsTo("POST /v3/smtp/email").filter((request) => recipientOf(request) === address)

const eventually = <A>(check: () => A, until: (value: A) => boolean, timeout: `${number} seconds` = "30 seconds") =>
  Effect.sync(check).pipe(Effect.repeat({ until, schedule: Schedule.spaced("100 millis") }), Effect.timeout(timeout))

/** The dead letter of `messageId` once its alert has been sent and recorded. */
const deadLetterAlerted = (messageId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<
      { readonly status: string; readonly attemptCount: number; readonly errorMessage: string }
    >`
      SELECT status, attempt_count, error_message FROM dlq_messages
      WHERE message_id = ${messageId} AND alerted_at IS NOT NULL`.pipe(
      Effect.repeat({ until: (found) => found.length > 0, schedule: Schedule.spaced("100 millis") }),
      Effect.timeout("30 seconds")
    )
    return row!
  })

/**
 * Answers the first email to `address` only when `release` is called (the send is in flight until
 * then, for certain), every other email at once.
 */
const holdFirstEmailTo = (brevo: FakeHttpServer, address: string) => {
  const answer: { resolve?: (response: FakeResponse) => void } = {}
  const held = new Promise<FakeResponse>((resolve) => {
    answer.resolve = resolve
  })
  let seen = 0
  brevo.setRoute("POST /v3/smtp/email", (request) => recipientOf(request) === address && seen++ === 0 ? held : sent)
  return () => {
    answer.resolve?.(sent)
    brevo.setRoute("POST /v3/smtp/email", sent)
  }
}

const processed = (messageId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`SELECT 1 FROM processed_messages WHERE message_id = ${messageId}`
    return rows.length > 0
  })

layer(WorkerTest, { excludeTestServices: true })("the worker", (it) => {
  describe("email delivery", () => {
    it.effect("sends an enqueued OTP email to Brevo exactly as Brevo expects", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        const worker = yield* spawnProgram(entry, yield* workerEnvironment)
        yield* worker.waitForOutput("CueBX worker started")
        const messageId = yield* enqueueOtp("ada@example.com", "482913")

        const [request] = yield* eventually(() => emailsTo(brevo, "ada@example.com"), (found) => found.length > 0)
        yield* processed(messageId).pipe(
          Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("100 millis") }),
          Effect.timeout("30 seconds")
        )
        assert.strictEqual(request!.method, "POST")
        assert.strictEqual(request!.path, "/v3/smtp/email")
        assert.strictEqual(request!.headers["api-key"], "xkeysib-test-key")
        assert.strictEqual(request!.headers["content-type"], "application/json")
        const body = request!.parsedBody as Record<string, unknown>
        assert.deepStrictEqual(body["sender"], { name: "CueBX", email: "no-reply@cuebx.example" })
        assert.deepStrictEqual(body["to"], [{ email: "ada@example.com", name: "Ada <Lovelace>" }])
        assert.strictEqual(body["subject"], "Verify Your Email - CueBX")
        assert.include(String(body["htmlContent"]), "482913")
        assert.include(String(body["htmlContent"]), "Ada &lt;Lovelace&gt;")
        assert.include(String(body["textContent"]), "482913")
        assert.deepStrictEqual(body["tags"], ["otp_email"])
      }))

    it.effect("retries a failing send, then dead-letters it and alerts the operators without the code", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        const worker = yield* spawnProgram(entry, yield* workerEnvironment)
        yield* worker.waitForOutput("CueBX worker started")
        brevo.setRoute(
          "POST /v3/smtp/email",
          (request) =>
            recipientOf(request) === "down@example.com"
              ? { status: 503, body: { code: "unavailable", message: "try later" } }
              : sent
        )
        const messageId = yield* enqueueOtp("down@example.com", "111111")

        const alerts = yield* eventually(() => emailsTo(brevo, "ops@cuebx.example"), (found) => found.length > 0)
        assert.strictEqual(emailsTo(brevo, "down@example.com").length, 4) // the first attempt and 3 retries
        const alert = alerts[0]!.parsedBody as { subject: string; htmlContent: string; textContent: string }
        assert.strictEqual(alert.subject, "[CueBX ALERT] DLQ: otp_emails_dead")
        assert.notInclude(alert.textContent, "111111")
        assert.include(alert.textContent, "[REDACTED]")

        // The worker marks the row alerted once Brevo has answered: moments after the fake saw the email.
        const row = yield* deadLetterAlerted(messageId)
        assert.strictEqual(row.status, "PENDING")
        assert.strictEqual(row.attemptCount, 3)
        assert.include(row.errorMessage, "503")
        brevo.setRoute("POST /v3/smtp/email", sent)
      }))

    it.effect("dead-letters at once when Brevo refuses the email (4xx)", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        const worker = yield* spawnProgram(entry, yield* workerEnvironment)
        yield* worker.waitForOutput("CueBX worker started")
        brevo.setRoute("POST /v3/smtp/email", (request) =>
          recipientOf(request) === "refused@example.com"
            ? { status: 400, body: { code: "invalid_parameter", message: "email is not valid" } }
            : sent)
        const messageId = yield* enqueueOtp("refused@example.com", "222222")
        // Done only once the dead letter is stored and its alert sent: the worker then acknowledges
        // it, so nothing of this test is left for the next test's worker.
        const row = yield* deadLetterAlerted(messageId)
        assert.strictEqual(row.attemptCount, 0)
        assert.include(row.errorMessage, "400")
        assert.strictEqual(emailsTo(brevo, "refused@example.com").length, 1)
        brevo.setRoute("POST /v3/smtp/email", sent)
      }))
  })

  describe("crashes and shutdown", () => {
    it.effect("a worker killed with SIGKILL mid-send loses nothing: the next worker sends it", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        const env = yield* workerEnvironment
        const release = holdFirstEmailTo(brevo, "crash@example.com")
        yield* Effect.gen(function*() {
          const first = yield* spawnProgram(entry, env)
          yield* first.waitForOutput("CueBX worker started")
          const messageId = yield* enqueueOtp("crash@example.com", "333333")
          // Brevo has the request and has not answered: the worker is mid-send.
          yield* eventually(() => emailsTo(brevo, "crash@example.com"), (found) => found.length === 1)
          first.process.kill("SIGKILL")
          assert.strictEqual(yield* first.exited, "SIGKILL")
          assert.isFalse(yield* processed(messageId))

          const second = yield* spawnProgram(entry, env)
          yield* second.waitForOutput("CueBX worker started")
          yield* processed(messageId).pipe(
            Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("100 millis") }),
            Effect.timeout("30 seconds")
          )
          assert.strictEqual(emailsTo(brevo, "crash@example.com").length, 2)
        }).pipe(Effect.ensuring(Effect.sync(release)))
      }))

    it.effect("SIGTERM lets the send in flight finish, then exits 0", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        const release = holdFirstEmailTo(brevo, "graceful@example.com")
        yield* Effect.gen(function*() {
          const worker = yield* spawnProgram(entry, yield* workerEnvironment)
          yield* worker.waitForOutput("CueBX worker started")
          const messageId = yield* enqueueOtp("graceful@example.com", "444444")
          yield* eventually(() => emailsTo(brevo, "graceful@example.com"), (found) => found.length === 1)
          worker.process.kill("SIGTERM")
          // Brevo answers only after the signal: the worker must wait for the answer before exiting.
          yield* Effect.sleep("300 millis")
          release()
          assert.strictEqual(yield* worker.exited, 0)
          assert.isTrue(yield* processed(messageId))
          yield* worker.waitForOutput("CueBX worker stopped")
        }).pipe(Effect.ensuring(Effect.sync(release)))
      }))
  })
})
