/**
 * The worker as a real process against RabbitMQ, PostgreSQL and a fake Brevo: an email enqueued
 * through the outbox is sent exactly as Brevo expects; failures retry then dead-letter with an
 * alert; SIGKILL mid-send loses nothing; SIGTERM lets the send in flight finish.
 */
import { allQueueNames, MessageSecrets, messageType, Outbox, Queues } from "@cuebx/broker"
import { DatabaseLive } from "@cuebx/db"
import { OtpEmailPayload } from "@cuebx/email"
import { type FakeHttpServer, makeFakeHttpServer, spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"

const entry = "apps/worker/src/main.ts"
const otpMessage = messageType(Queues.otpEmails, OtpEmailPayload)

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
    return yield* sql.withTransaction(outbox.enqueue(otpMessage, {
      email,
      otp_code: secrets.seal(code),
      purpose: "email_verification",
      user_name: "Ada <Lovelace>"
    }))
  })

const emailsTo = (brevo: FakeHttpServer, address: string) =>
  brevo.requestsTo("POST /v3/smtp/email").filter((request) =>
    (request.parsedBody as { to: ReadonlyArray<{ email: string }> }).to[0]?.email === address
  )

const eventually = <A>(check: () => A, until: (value: A) => boolean, timeout: `${number} seconds` = "30 seconds") =>
  Effect.sync(check).pipe(Effect.repeat({ until, schedule: Schedule.spaced("100 millis") }), Effect.timeout(timeout))

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
        yield* enqueueOtp("ada@example.com", "482913")

        const [request] = yield* eventually(() => emailsTo(brevo, "ada@example.com"), (found) => found.length > 0)
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
            (request.parsedBody as { to: ReadonlyArray<{ email: string }> }).to[0]?.email === "down@example.com"
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

        const sql = yield* SqlClient.SqlClient
        // The worker marks the row alerted once Brevo has answered: moments after the fake saw the email.
        const [row] = yield* sql<
          {
            readonly status: string
            readonly attemptCount: number
            readonly errorMessage: string
            readonly alertedAt: Date | null
          }
        >`
          SELECT status, attempt_count, error_message, alerted_at FROM dlq_messages WHERE message_id = ${messageId}`
          .pipe(
            Effect.repeat({ until: ([found]) => found?.alertedAt != null, schedule: Schedule.spaced("100 millis") }),
            Effect.timeout("10 seconds")
          )
        assert.strictEqual(row!.status, "PENDING")
        assert.strictEqual(row!.attemptCount, 3)
        assert.include(row!.errorMessage, "503")
        assert.isNotNull(row!.alertedAt)
        brevo.setRoute("POST /v3/smtp/email", sent)
      }))

    it.effect("dead-letters at once when Brevo refuses the email (4xx)", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        const worker = yield* spawnProgram(entry, yield* workerEnvironment)
        yield* worker.waitForOutput("CueBX worker started")
        brevo.setRoute("POST /v3/smtp/email", (request) =>
          (request.parsedBody as { to: ReadonlyArray<{ email: string }> }).to[0]?.email === "refused@example.com"
            ? { status: 400, body: { code: "invalid_parameter", message: "email is not valid" } }
            : sent)
        const messageId = yield* enqueueOtp("refused@example.com", "222222")
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ readonly attemptCount: number }>`
          SELECT attempt_count FROM dlq_messages WHERE message_id = ${messageId}`.pipe(
          Effect.repeat({
            until: (found) =>
              found.length > 0,
            schedule: Schedule.spaced("100 millis")
          }),
          Effect.timeout("20 seconds")
        )
        assert.strictEqual(rows[0]!.attemptCount, 0)
        assert.strictEqual(emailsTo(brevo, "refused@example.com").length, 1)
        brevo.setRoute("POST /v3/smtp/email", sent)
      }))
  })

  describe("crashes and shutdown", () => {
    it.effect("a worker killed with SIGKILL mid-send loses nothing: the next worker sends it", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        const env = yield* workerEnvironment
        brevo.enqueue("POST /v3/smtp/email", { ...sent, delayMs: 4_000 })
        const first = yield* spawnProgram(entry, env)
        yield* first.waitForOutput("CueBX worker started")
        const messageId = yield* enqueueOtp("crash@example.com", "333333")
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
      }))

    it.effect("SIGTERM lets the send in flight finish, then exits 0", () =>
      Effect.gen(function*() {
        const brevo = yield* FakeBrevo
        brevo.enqueue("POST /v3/smtp/email", { ...sent, delayMs: 1_500 })
        const worker = yield* spawnProgram(entry, yield* workerEnvironment)
        yield* worker.waitForOutput("CueBX worker started")
        const messageId = yield* enqueueOtp("graceful@example.com", "444444")
        yield* eventually(() => emailsTo(brevo, "graceful@example.com"), (found) => found.length === 1)
        worker.process.kill("SIGTERM")
        assert.strictEqual(yield* worker.exited, 0)
        assert.isTrue(yield* processed(messageId))
        yield* worker.waitForOutput("CueBX worker stopped")
      }))
  })
})
