/**
 * The only SQL on `stripe_event_logs`: every webhook event recorded once (its id is unique, so a
 * repeated delivery records nothing), and when and how its handler processed it.
 */
import { TimestampColumn } from "@cuebx/db"
import { Context, type DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

const NewEvent = Schema.Struct({
  eventId: Schema.String,
  eventType: Schema.String,
  stripeCreatedAt: TimestampColumn,
  payload: Schema.fromJsonString(Schema.Unknown)
})

/** What handling an event came to: applied, older than what was applied already, or nothing to do. */
export type EventOutcome = "applied" | "stale" | "ignored"

export class StripeEventsRepo extends Context.Service<StripeEventsRepo, {
  /** Records a received event; `false` when its id was recorded before (a repeated delivery). */
  record(event: typeof NewEvent.Type): Effect.Effect<boolean>
  /**
   * Locks the event's row for its handler: `"pending"` to process it, `"processed"` when it was
   * already, `"unknown"` for an event never recorded (queued by the Python service).
   */
  claim(eventId: string): Effect.Effect<"pending" | "processed" | "unknown">
  markProcessed(eventId: string, outcome: EventOutcome, at: DateTime.Utc): Effect.Effect<void>
}>()("@cuebx/billing/StripeEventsRepo") {
  static readonly layer = Layer.effect(
    StripeEventsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const insert = SqlSchema.findAll({
        Request: NewEvent,
        Result: Schema.Struct({ id: Schema.String }),
        execute: ({ eventId, eventType, payload, stripeCreatedAt }) =>
          sql`
            INSERT INTO stripe_event_logs (event_id, event_type, stripe_created_at, payload)
            VALUES (${eventId}, ${eventType}, ${stripeCreatedAt}, ${payload}::jsonb)
            ON CONFLICT (event_id) DO NOTHING RETURNING id`
      })
      const lockRow = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Schema.Struct({ processedAt: Schema.NullOr(TimestampColumn) }),
        execute: (eventId) => sql`SELECT processed_at FROM stripe_event_logs WHERE event_id = ${eventId} FOR UPDATE`
      })
      const setProcessed = SqlSchema.void({
        Request: Schema.Struct({ eventId: Schema.String, outcome: Schema.String, at: TimestampColumn }),
        execute: ({ at, eventId, outcome }) =>
          sql`UPDATE stripe_event_logs SET processed_at = ${at}, outcome = ${outcome} WHERE event_id = ${eventId}`
      })
      return StripeEventsRepo.of({
        record: Effect.fn("StripeEventsRepo.record")(function*(event) {
          return (yield* insert(event)).length > 0
        }, Effect.orDie),
        claim: Effect.fn("StripeEventsRepo.claim")(function*(eventId) {
          const row = yield* lockRow(eventId)
          return Option.isNone(row) ? "unknown" : row.value.processedAt === null ? "pending" : "processed"
        }, Effect.orDie),
        markProcessed: Effect.fn("StripeEventsRepo.markProcessed")(function*(eventId, outcome, at) {
          yield* setProcessed({ eventId, outcome, at })
        }, Effect.orDie)
      })
    })
  )
}
