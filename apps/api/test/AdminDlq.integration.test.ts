/**
 * The admin dead-letter endpoints at the HTTP boundary: Basic authentication, metrics in the
 * reference's shape, listing, replay (published, then marked) and discard, with secrets redacted.
 */
import { rawRequest, TestEnvironment, TestSettings } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import * as Amqp from "amqplib"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { apiTestLayer } from "./support.ts"

const admin = { authorization: `Basic ${Buffer.from("admin:admin_password_change_in_production").toString("base64")}` }

const insertDeadLetter = (fields: { queue: string; body: string; status?: string; messageId?: string }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ readonly id: string }>`
      INSERT INTO dlq_messages (queue_name, original_queue, message_id, message_body, headers, error_message, attempt_count, status)
      VALUES (${fields.queue}, ${fields.queue.replace(/_dead$/, "")}, ${
      fields.messageId ?? crypto.randomUUID()
    }, ${fields.body},
              ${JSON.stringify({ "x-retry-attempt": 3, authorization: "Bearer abc" })}::jsonb, 'it failed', 3, ${
      fields.status ?? "PENDING"
    })
      RETURNING id`
    return row!.id
  })

const takeFromQueue = (queue: string) =>
  Effect.gen(function*() {
    const { rabbitmqUrl } = yield* TestSettings
    return yield* Effect.promise(async () => {
      const connection = await Amqp.connect(rabbitmqUrl)
      try {
        const channel = await connection.createChannel()
        for (let tries = 0; tries < 50; tries++) {
          const message = await channel.get(queue, { noAck: true })
          if (message !== false) return message
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        return undefined
      } finally {
        await connection.close()
      }
    })
  })

layer(apiTestLayer(), { excludeTestServices: true })("admin DLQ API", (it) => {
  describe("authentication", () => {
    it.effect("refuses missing and wrong credentials with a Basic challenge", () =>
      Effect.gen(function*() {
        const missing = yield* rawRequest("GET", "/admin/api/dlq/metrics")
        assert.strictEqual(missing.status, 401)
        assert.deepStrictEqual(missing.json, { detail: "Admin authentication required." })
        assert.match(missing.headers["www-authenticate"]!, /^Basic realm="CueBX Admin"/)
        const wrong = yield* rawRequest("GET", "/admin/api/dlq/metrics", {
          headers: { authorization: `Basic ${Buffer.from("admin:guess").toString("base64")}` }
        })
        assert.strictEqual(wrong.status, 401)
        const bearer = yield* rawRequest("GET", "/admin/api/dlq", { headers: { authorization: "Bearer token" } })
        assert.strictEqual(bearer.status, 401)
      }))
  })

  describe("reading", () => {
    it.effect("metrics count by status and by queue, statuses lowercase", () =>
      Effect.gen(function*() {
        yield* insertDeadLetter({ queue: "otp_emails_dead", body: "{}" })
        yield* insertDeadLetter({ queue: "otp_emails_dead", body: "{}", status: "DISCARDED" })
        yield* insertDeadLetter({ queue: "usage_commits_dead", body: "{}" })
        const response = yield* rawRequest("GET", "/admin/api/dlq/metrics", { headers: admin })
        assert.strictEqual(response.status, 200)
        const metrics = response.json as {
          total: number
          by_status: Record<string, number>
          by_queue: Record<string, Record<string, number>>
          items: ReadonlyArray<{ queue_name: string; status: string; count: number }>
        }
        assert.isAtLeast(metrics.total, 3)
        assert.isAtLeast(metrics.by_status["pending"]!, 2)
        assert.isAtLeast(metrics.by_queue["otp_emails_dead"]!["discarded"]!, 1)
        assert.isTrue(metrics.items.every((item) => ["pending", "retried", "discarded"].includes(item.status)))
      }))

    it.effect("lists with filters and paging, redacting secrets", () =>
      Effect.gen(function*() {
        const id = yield* insertDeadLetter({
          queue: "password_reset_confirmation_emails_dead",
          body: JSON.stringify({
            email: "ada@example.com",
            otp_code: "123456",
            link: "https://x.example/accept?token=abc"
          })
        })
        const response = yield* rawRequest(
          "GET",
          "/admin/api/dlq?queue=password_reset_confirmation_emails_dead&status=pending&limit=5",
          {
            headers: admin
          }
        )
        assert.strictEqual(response.status, 200)
        const page = response.json as {
          items: ReadonlyArray<{ id: string; message_body: string; headers: Record<string, unknown> }>
          total: number
          limit: number
        }
        assert.strictEqual(page.limit, 5)
        assert.strictEqual(page.total, 1)
        assert.strictEqual(page.items[0]!.id, id)
        assert.deepStrictEqual(JSON.parse(page.items[0]!.message_body), {
          email: "ada@example.com",
          otp_code: "[REDACTED]",
          link: "https://x.example/accept?token=[REDACTED]"
        })
        assert.strictEqual(page.items[0]!.headers["authorization"], "[REDACTED]")
        const detail = yield* rawRequest("GET", `/admin/api/dlq/${id}`, { headers: admin })
        assert.strictEqual((detail.json as { status: string }).status, "pending")
      }))

    it.effect("validates the query and answers unknown ids with 404", () =>
      Effect.gen(function*() {
        const badStatus = yield* rawRequest("GET", "/admin/api/dlq?status=lost", { headers: admin })
        assert.strictEqual(badStatus.status, 422)
        const badLimit = yield* rawRequest("GET", "/admin/api/dlq?limit=0", { headers: admin })
        assert.strictEqual(badLimit.status, 422)
        const unknown = yield* rawRequest("GET", `/admin/api/dlq/${crypto.randomUUID()}`, { headers: admin })
        assert.strictEqual(unknown.status, 404)
        assert.deepStrictEqual(unknown.json, { detail: "DLQ message not found." })
        const malformed = yield* rawRequest("POST", "/admin/api/dlq/not-a-uuid/replay", { headers: admin })
        assert.strictEqual(malformed.status, 404)
      }))
  })

  describe("operating", () => {
    it.effect("replay publishes the original body to the main queue, then marks it retried; again is 409", () =>
      Effect.gen(function*() {
        const { queueSuffix } = yield* TestEnvironment
        const body = "{\"user_id\": \"u1\",  \"usage_id\": \"x\"}"
        const id = yield* insertDeadLetter({ queue: "career_usage_commits_dead", body, messageId: "replay-me" })
        const response = yield* rawRequest("POST", `/admin/api/dlq/${id}/replay`, { headers: admin })
        assert.strictEqual(response.status, 200, response.text)
        assert.strictEqual((response.json as { status: string }).status, "retried")
        const message = yield* takeFromQueue(`career_usage_commits${queueSuffix}`)
        assert.isDefined(message)
        assert.strictEqual(message!.content.toString("utf8"), body)
        assert.strictEqual(message!.properties.messageId, "replay-me")
        assert.strictEqual(message!.properties.deliveryMode, 2)
        assert.isUndefined(message!.properties.headers?.["x-retry-attempt"])

        const again = yield* rawRequest("POST", `/admin/api/dlq/${id}/replay`, { headers: admin })
        assert.strictEqual(again.status, 409)
        assert.deepStrictEqual(again.json, { detail: "DLQ message is not pending (status: retried)." })
      }))

    it.effect("discard marks a pending message, and only a pending one", () =>
      Effect.gen(function*() {
        const id = yield* insertDeadLetter({ queue: "otp_emails_dead", body: "{}" })
        const response = yield* rawRequest("POST", `/admin/api/dlq/${id}/discard`, { headers: admin })
        assert.strictEqual(response.status, 200)
        assert.strictEqual((response.json as { status: string; discarded_at: string | null }).status, "discarded")
        const again = yield* rawRequest("POST", `/admin/api/dlq/${id}/discard`, { headers: admin })
        assert.strictEqual(again.status, 409)
      }))
  })
})

layer(apiTestLayer({ env: { ENABLE_MESSAGING: "false" } }), { excludeTestServices: true })(
  "admin DLQ API without messaging",
  (it) => {
    it.effect("replay answers 503 and leaves the message pending", () =>
      Effect.gen(function*() {
        const id = yield* insertDeadLetter({ queue: "otp_emails_dead", body: "{}" })
        const response = yield* rawRequest("POST", `/admin/api/dlq/${id}/replay`, { headers: admin })
        assert.strictEqual(response.status, 503)
        assert.deepStrictEqual(response.json, { detail: "RabbitMQ is unavailable; the message was not replayed." })
        const detail = yield* rawRequest("GET", `/admin/api/dlq/${id}`, { headers: admin })
        assert.strictEqual((detail.json as { status: string }).status, "pending")
      }))
  }
)
