/**
 * The admin dead-letter endpoints at the HTTP boundary: Basic authentication (with its limit on
 * failed attempts), metrics in the reference's shape, listing, replay (published, then marked)
 * and discard, with secrets redacted.
 */
import { captureLogs, rawRequest, TestEnvironment, TestSettings } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import * as Amqp from "amqplib"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { inspect } from "node:util"
import { apiTestLayer } from "./support.ts"

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`
const admin = { authorization: basic("admin", "admin_password_change_in_production") }

/** A request from `address` (the API trusts one proxy here, so `X-Forwarded-For` names the client). */
const from = (address: string, authorization: string) => ({
  headers: { authorization, "x-forwarded-for": address }
})

const failuresPerAddress = 3
const failuresPerUsername = 6
const logs = captureLogs()

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

const AdminApiTest = apiTestLayer({
  env: {
    TRUSTED_PROXY_COUNT: "1",
    ADMIN_LOGIN_MAX_FAILURES_PER_IP: String(failuresPerAddress),
    ADMIN_LOGIN_MAX_FAILURES_PER_USERNAME: String(failuresPerUsername),
    ADMIN_LOGIN_FAILURE_WINDOW: "15 minutes"
  }
}).pipe(Layer.provide(logs.layer))

layer(AdminApiTest, { excludeTestServices: true })("admin DLQ API", (it) => {
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

    it.effect("after too many wrong passwords from one address, refuses it with 429 even with the right one", () =>
      Effect.gen(function*() {
        const attacker = "198.51.100.7"
        for (let attempt = 1; attempt <= failuresPerAddress; attempt++) {
          const wrong = yield* rawRequest(
            "GET",
            "/admin/api/dlq/metrics",
            from(attacker, basic("admin", `guess-${attempt}`))
          )
          assert.strictEqual(wrong.status, 401, `attempt ${attempt}`)
        }
        const limited = yield* rawRequest("GET", "/admin/api/dlq/metrics", from(attacker, basic("admin", "guess-4")))
        assert.strictEqual(limited.status, 429)
        const retryAfter = Number(limited.headers["retry-after"])
        assert.isTrue(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 30 * 60, String(retryAfter))
        assert.deepStrictEqual(limited.json, { detail: `Rate limit exceeded. Try again in ${retryAfter} seconds.` })
        // A guess that happens to be right teaches nothing while the address is refused.
        const right = yield* rawRequest("GET", "/admin/api/dlq/metrics", from(attacker, admin.authorization))
        assert.strictEqual(right.status, 429)
        assert.isDefined(right.headers["retry-after"])

        const operator = yield* rawRequest("GET", "/admin/api/dlq/metrics", from("198.51.100.8", admin.authorization))
        assert.strictEqual(operator.status, 200)
      }))

    it.effect("after too many failures for one username from any addresses, refuses that username", () =>
      Effect.gen(function*() {
        for (let attempt = 1; attempt <= failuresPerUsername; attempt++) {
          const wrong = yield* rawRequest(
            "GET",
            "/admin/api/dlq",
            from(`203.0.113.${attempt}`, basic("root", "toor"))
          )
          assert.strictEqual(wrong.status, 401, `attempt ${attempt}`)
        }
        const limited = yield* rawRequest("GET", "/admin/api/dlq", from("203.0.113.200", basic("root", "toor")))
        assert.strictEqual(limited.status, 429)
        assert.isDefined(limited.headers["retry-after"])
        const operator = yield* rawRequest("GET", "/admin/api/dlq", from("203.0.113.200", admin.authorization))
        assert.strictEqual(operator.status, 200)
      }))

    it.effect("logs each refusal with the username and the client address, never the password", () =>
      Effect.gen(function*() {
        const password = "correct-horse-battery-staple-wrong"
        const refused = yield* rawRequest("GET", "/admin/api/dlq", from("192.0.2.44", basic("mallory", password)))
        assert.strictEqual(refused.status, 401)
        const line = logs.lines.find((candidate) =>
          JSON.stringify(candidate.message).includes("Admin authentication refused") &&
          JSON.stringify(candidate.message).includes("192.0.2.44")
        )
        assert.isDefined(line)
        assert.include(JSON.stringify(line!.message), "mallory")
        const everything = inspect(logs.lines, { depth: 20 })
        assert.notInclude(everything, password)
        assert.notInclude(everything, Buffer.from(`mallory:${password}`).toString("base64"))
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
