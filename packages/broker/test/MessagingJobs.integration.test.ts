/**
 * The outbox cleanup job against a real PostgreSQL: it deletes published outbox rows and records
 * of handled messages once they are older than their retention, and keeps everything else
 * (pending rows whatever their age, recent rows, rows just inside the retention).
 */
import { DatabaseLive } from "@cuebx/db"
import { captureLogs, TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { outboxCleanupJob } from "../src/MessagingJobs.ts"

const Infra = DatabaseLive.pipe(
  Layer.provideMerge(TestInfra.layer({ env: { OUTBOX_RETENTION: "7 days", PROCESSED_MESSAGES_RETENTION: "14 days" } }))
)

layer(Infra, { excludeTestServices: true })("the outbox cleanup job", (it) => {
  it.effect("deletes what is older than its retention and keeps the rest", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const outboxRow = (name: string, publishedAgo: string | null, createdAgo = "30 days") =>
        sql`
          INSERT INTO outbox_messages (queue, message_id, payload, created_at, published_at)
          VALUES ('otp_emails', gen_random_uuid(), ${JSON.stringify({ name })}::jsonb,
                  now() - ${createdAgo}::interval,
                  ${publishedAgo === null ? null : sql`now() - ${publishedAgo}::interval`})`
      yield* outboxRow("published long ago", "8 days")
      yield* outboxRow("published just outside the retention", "7 days 1 minute")
      yield* outboxRow("published just inside the retention", "6 days 23 hours")
      yield* outboxRow("published recently", "1 hour")
      yield* outboxRow("never published, old", null)
      yield* outboxRow("never published, new", null, "1 minute")

      const processedRow = (messageId: string, ago: string) =>
        sql`
          INSERT INTO processed_messages (queue, message_id, processed_at)
          VALUES ('otp_emails', ${messageId}, now() - ${ago}::interval)`
      yield* processedRow("handled long ago", "15 days")
      yield* processedRow("handled just inside the retention", "13 days 23 hours")
      yield* processedRow("handled recently", "1 minute")

      const logs = captureLogs()
      yield* outboxCleanupJob.run.pipe(Effect.provide(logs.layer))

      const outbox = yield* sql<{ readonly name: string }>`
        SELECT payload->>'name' AS name FROM outbox_messages ORDER BY created_at, name`
      assert.deepStrictEqual(outbox.map((row) => row.name).toSorted(), [
        "never published, new",
        "never published, old",
        "published just inside the retention",
        "published recently"
      ])
      const processed = yield* sql<{ readonly messageId: string }>`SELECT message_id FROM processed_messages`
      assert.deepStrictEqual(processed.map((row) => row.messageId).toSorted(), [
        "handled just inside the retention",
        "handled recently"
      ])
      const reports = logs.lines.map((line) => line.message).filter((message) =>
        Array.isArray(message) && message[0] === "Messaging tables cleaned"
      )
      assert.deepStrictEqual(reports, [["Messaging tables cleaned", { outbox: 2, processed: 1 }]])
    }))
})
