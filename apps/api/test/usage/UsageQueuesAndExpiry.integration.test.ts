/**
 * Commits that arrive on the `usage_commits` and `career_usage_commits` queues (applied once per
 * usage, however often delivered; a body the schema refuses goes to the dead letters), and the
 * expiry of usage left pending, which gives its reservation back and never races a commit into
 * charging and releasing the same usage.
 */
import { Outbox } from "@cuebx/broker"
import { TestEnvironment } from "@cuebx/testing"
import { CareerUsageCommitMessage, UsageCommitMessage, UsageExpiry } from "@cuebx/usage"
import { assert, describe, layer } from "@effect/vitest"
import * as Amqp from "amqplib"
import { Effect, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call } from "../auth/support.ts"
import {
  answerOf,
  apiKeyFixture,
  careerCommit,
  careerUser,
  careerValidate,
  careerValidateBody,
  commit,
  grantedOf,
  usageRow,
  validate,
  validateBody
} from "./support.ts"

const untilRow = (table: "usage_logs" | "career_usage_logs", usageId: string, status: string) =>
  usageRow(table, usageId).pipe(
    Effect.repeat({ until: (row) => row["status"] === status, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout("20 seconds")
  )

/** Publishes a body as an internal service would, straight to the (suffixed) queue. */
const publishRaw = (queue: string, body: string) =>
  Effect.gen(function*() {
    const { env, queueSuffix } = yield* TestEnvironment
    const messageId = crypto.randomUUID()
    yield* Effect.promise(async () => {
      const connection = await Amqp.connect(env["RABBITMQ_URL"]!)
      try {
        const channel = await connection.createConfirmChannel()
        channel.sendToQueue(`${queue}${queueSuffix}`, Buffer.from(body), { messageId, persistent: true })
        await channel.waitForConfirms()
      } finally {
        await connection.close()
      }
    })
    return messageId
  })

/** Backdates a usage beyond the pending timeout (15 minutes). */
const age = (table: "usage_logs" | "career_usage_logs", usageId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`UPDATE ${sql(table)} SET created_at = now() - interval '20 minutes' WHERE id = ${usageId}`
  )

const expirePending = (product: "API" | "CAREER") =>
  Effect.gen(function*() {
    return yield* (yield* UsageExpiry).expirePending(product)
  }).pipe(Effect.provide(UsageExpiry.layer))

// A pool of three: two connections LISTEN (the change feed, the outbox relay), so a handler's
// transaction holds the last one, and a commit that does not run inside it waits forever.
layer(authTestLayer({ env: { ENABLE_CONSUMERS: "true", QUEUE_RETRY_DELAY: "300 millis", DB_POOL_MAX: "3" } }), {
  excludeTestServices: true
})("usage commits on the queues, and the expiry of pending usage", (it) => {
  describe("queues", () => {
    it.effect("usage_commits: applied as the REST commit is, once per usage however often it arrives", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const outbox = yield* Outbox
        const fixture = yield* apiKeyFixture()
        const granted = answerOf(yield* validate(validateBody(fixture)))
        const payload = {
          api_key: fixture.liveKey,
          usage_id: granted.usage_id!,
          success: true,
          metrics: { model_used: "gpt-4o", input_tokens: 10 }
        }
        for (let copy = 0; copy < 3; copy++) yield* sql.withTransaction(outbox.enqueue(UsageCommitMessage, payload))
        const row = yield* untilRow("usage_logs", granted.usage_id!, "SUCCESS")
        assert.deepInclude(row, { creditsCharged: "1.00", modelUsed: "gpt-4o", inputTokens: 10 })
        // All three copies were handled (their records exist) and the usage was charged once.
        yield* sql<{ readonly count: number }>`
          SELECT count(*)::int AS count FROM processed_messages WHERE queue = 'usage_commits'`.pipe(
          Effect.repeat({ until: (rows) => rows[0]!.count >= 3, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("20 seconds")
        )
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00")
      }))

    it.effect("career_usage_commits: a charged commit keeps its result in the history", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const outbox = yield* Outbox
        const user = yield* careerUser()
        const granted = answerOf(yield* careerValidate(user, careerValidateBody()))
        yield* sql.withTransaction(outbox.enqueue(CareerUsageCommitMessage, {
          user_id: user.id,
          usage_id: granted.usage_id!,
          success: true,
          result_data: { queued: true }
        }))
        yield* untilRow("career_usage_logs", granted.usage_id!, "SUCCESS")
        const history = yield* call("GET", "/career/history", { token: user.token })
        assert.deepStrictEqual(
          (history.json as { items: Array<{ result_data: unknown }> }).items.map((item) => item.result_data),
          [{ queued: true }]
        )
      }))

    it.effect("a body the schema refuses goes to the dead letters at once", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        for (const queue of ["usage_commits", "career_usage_commits"]) {
          const messageId = yield* publishRaw(queue, JSON.stringify({ usage_id: "nope", success: false }))
          const rows = yield* sql<{ readonly queueName: string; readonly attemptCount: number }>`
            SELECT queue_name, attempt_count FROM dlq_messages WHERE message_id = ${messageId}`.pipe(
            Effect.repeat({ until: (found) => found.length > 0, schedule: Schedule.spaced("100 millis") }),
            Effect.timeout("20 seconds")
          )
          assert.deepStrictEqual(rows.map((row) => [row.queueName, row.attemptCount]), [[`${queue}_dead`, 0]])
        }
      }))
  })

  describe("expiry", () => {
    it.effect("expires usage pending for longer than the timeout, giving its credits back, for both products", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const user = yield* careerUser()
        const old = answerOf(yield* validate(validateBody(fixture)))
        const recent = answerOf(yield* validate(validateBody(fixture)))
        const career = answerOf(yield* careerValidate(user, careerValidateBody()))
        yield* age("usage_logs", old.usage_id!)
        yield* age("career_usage_logs", career.usage_id!)
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "2.00")
        assert.isAtLeast(yield* expirePending("API"), 1)
        assert.isAtLeast(yield* expirePending("CAREER"), 1)
        assert.deepInclude(yield* usageRow("usage_logs", old.usage_id!), { status: "EXPIRED", creditsCharged: null })
        assert.deepInclude(yield* usageRow("usage_logs", recent.usage_id!), { status: "PENDING" })
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00")
        assert.strictEqual(yield* grantedOf(user.id), "0.00")
        const late = yield* commit({ api_key: fixture.liveKey, usage_id: old.usage_id, success: true })
        assert.deepStrictEqual(late.json, {
          success: false,
          message: "Usage expired before it was committed: nothing was charged."
        })
        const lateCareer = yield* careerCommit({ user_id: user.id, usage_id: career.usage_id, success: true })
        assert.strictEqual((lateCareer.json as { success: boolean }).success, false)
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00", "a late commit charges nothing")
      }))

    it.effect("a commit racing the expiry job is either charged or released, never both", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const fixture = yield* apiKeyFixture()
        const usages = yield* Effect.forEach(Array.from({ length: 20 }), () =>
          Effect.map(validate(validateBody(fixture)), (response) => answerOf(response).usage_id!))
        for (const usageId of usages) {
          yield* age("usage_logs", usageId)
        }
        yield* Effect.all([
          Effect.forEach(
            usages,
            (usageId) =>
              commit({ api_key: fixture.liveKey, usage_id: usageId, success: true }),
            { concurrency: 8 }
          ),
          expirePending("API")
        ], { concurrency: "unbounded" })
        const rows = yield* sql<{ readonly status: string; readonly count: number; readonly charged: string | null }>`
          SELECT status, count(*)::int AS count, sum(credits_charged)::text AS charged FROM usage_logs
          WHERE workspace_id = ${fixture.workspaceId} GROUP BY status`
        const counts = Object.fromEntries(rows.map((row) => [row.status, row.count]))
        assert.strictEqual((counts["SUCCESS"] ?? 0) + (counts["EXPIRED"] ?? 0), 20, JSON.stringify(rows))
        const charged = rows.find((row) => row.status === "SUCCESS")?.charged ?? "0"
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), Number(charged).toFixed(2))
      }))
  })
})
