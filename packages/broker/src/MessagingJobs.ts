/**
 * Housekeeping of the messaging tables, run by the scheduler: published outbox rows and the
 * record of handled message ids are kept for a while (to investigate, and to drop late
 * duplicates), then deleted.
 */
import { defineJob } from "@cuebx/jobs"
import { Config, Duration, Effect } from "effect"
import { SqlClient } from "effect/sql"

export const MessagingRetention = Config.all({
  outbox: Config.Duration("OUTBOX_RETENTION").pipe(Config.withDefault(Duration.days(7))),
  processedMessages: Config.Duration("PROCESSED_MESSAGES_RETENTION").pipe(Config.withDefault(Duration.days(14)))
})

const seconds = (duration: Duration.Duration) => Math.floor(Duration.toSeconds(duration))

export const outboxCleanupJob = defineJob({
  name: "outbox-cleanup",
  schedule: "15 4 * * *",
  run: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const retention = yield* MessagingRetention
    const outbox = yield* sql`
      DELETE FROM outbox_messages
      WHERE published_at < now() - ${seconds(retention.outbox)} * interval '1 second'`
    const processed = yield* sql`
      DELETE FROM processed_messages
      WHERE processed_at < now() - ${seconds(retention.processedMessages)} * interval '1 second'`
    yield* Effect.logInfo("Messaging tables cleaned", { outbox: outbox.length, processed: processed.length })
  })
})
