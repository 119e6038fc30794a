/**
 * Housekeeping of the messaging tables, run by the scheduler: published outbox rows and the
 * record of handled message ids are kept for a while (to investigate, and to drop late
 * duplicates), then deleted.
 */
import { defineJob } from "@cuebx/jobs"
import { Config, Duration, Effect, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const MessagingRetention = Config.all({
  outbox: Config.Duration("OUTBOX_RETENTION").pipe(Config.withDefault(Duration.days(7))),
  processedMessages: Config.Duration("PROCESSED_MESSAGES_RETENTION").pipe(Config.withDefault(Duration.days(14)))
})

const seconds = (duration: Duration.Duration) => Math.floor(Duration.toSeconds(duration))

const Deleted = Schema.Struct({ deleted: Schema.Int })

/** Both cut-offs are the database's `now()`: the rows' timestamps come from the same clock. */
export const outboxCleanupJob = defineJob({
  name: "outbox-cleanup",
  schedule: "15 4 * * *",
  run: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const retention = yield* MessagingRetention
    /** Deletes the rows of `table` whose `column` is older than the retention; returns how many. */
    const deleteOlderThan = (table: string, column: string) =>
      SqlSchema.findOne({
        Request: Schema.Int,
        Result: Deleted,
        execute: (retentionSeconds) =>
          sql`
            WITH gone AS (
              DELETE FROM ${sql(table)}
              WHERE ${sql(column)} < now() - ${retentionSeconds} * interval '1 second'
              RETURNING 1)
            SELECT count(*)::int AS deleted FROM gone`
      })
    const outbox = yield* deleteOlderThan("outbox_messages", "published_at")(seconds(retention.outbox))
    const processed = yield* deleteOlderThan("processed_messages", "processed_at")(
      seconds(retention.processedMessages)
    )
    yield* Effect.logInfo("Messaging tables cleaned", { outbox: outbox.deleted, processed: processed.deleted })
  })
})
