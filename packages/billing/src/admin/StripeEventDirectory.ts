/**
 * The operators' view of the Stripe events the webhook recorded (the admin panel): filtered and
 * paged newest first, one in full, and re-enqueuing one: its message goes into the outbox for its
 * queue again, as the webhook first put it, and its processed mark is cleared in the same
 * transaction, so the handler applies it once more (fetching the current object from Stripe, as
 * it always does, so applying it again converges on Stripe's state).
 */
import { Outbox } from "@cuebx/broker"
import { blankToNull, isUuid, TimestampColumn, transactionWith } from "@cuebx/db"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { StripeEvent } from "../stripe/StripeObjects.ts"
import { payloadOf, queueOf } from "../webhooks/StripeEventMessages.ts"

export const RecordedStripeEvent = Schema.Struct({
  id: Schema.String,
  eventId: Schema.String,
  eventType: Schema.String,
  stripeCreatedAt: TimestampColumn,
  payload: Schema.Unknown,
  receivedAt: TimestampColumn,
  processedAt: Schema.NullOr(TimestampColumn),
  outcome: Schema.NullOr(Schema.String)
})
export type RecordedStripeEvent = typeof RecordedStripeEvent.Type

export const stripeEventStates = ["pending", "processed"] as const

export interface StripeEventSearch {
  readonly type: string | undefined
  readonly state: typeof stripeEventStates[number] | undefined
  /** Stripe's event id (`evt_…`), exactly. */
  readonly eventId: string | undefined
  readonly limit: number
  readonly offset: number
}

export class StripeEventNotFound extends Schema.TaggedError<StripeEventNotFound>()("StripeEventNotFound", {
  id: Schema.String
}) {}

/** The recorded payload is no event CueBX handles (recorded by an older version, or damaged). */
export class StripeEventNotRequeueable extends Schema.TaggedError<StripeEventNotRequeueable>()(
  "StripeEventNotRequeueable",
  { reason: Schema.String }
) {}

const Filters = Schema.Struct({
  type: Schema.NullOr(Schema.String),
  state: Schema.NullOr(Schema.String),
  eventId: Schema.NullOr(Schema.String)
})

const decodeEvent = Schema.decodeUnknownEffect(StripeEvent)

export class StripeEventDirectory extends Context.Service<StripeEventDirectory, {
  search(
    query: StripeEventSearch
  ): Effect.Effect<{ readonly items: ReadonlyArray<RecordedStripeEvent>; readonly total: number }>
  find(id: string): Effect.Effect<Option.Option<RecordedStripeEvent>>
  /**
   * Puts the event's message on its queue again (through the outbox) and clears its processed
   * mark; run it in the transaction that audits it. Returns the row before and after, and the
   * new message's id.
   */
  requeue(id: string): Effect.Effect<
    { readonly before: RecordedStripeEvent; readonly after: RecordedStripeEvent; readonly messageId: string },
    StripeEventNotFound | StripeEventNotRequeueable
  >
}>()("@cuebx/billing/StripeEventDirectory") {
  static readonly layer = Layer.effect(
    StripeEventDirectory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const inTransaction = transactionWith(sql)
      const outbox = yield* Outbox
      const where = (filters: typeof Filters.Encoded) =>
        sql`
          WHERE (${filters.type}::text IS NULL OR event_type = ${filters.type})
            AND (${filters.eventId}::text IS NULL OR event_id = ${filters.eventId})
            AND (${filters.state}::text IS NULL
              OR (${filters.state} = 'pending' AND processed_at IS NULL)
              OR (${filters.state} = 'processed' AND processed_at IS NOT NULL))`
      const page = SqlSchema.findAll({
        Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
        Result: RecordedStripeEvent,
        execute: ({ limit, offset, ...filters }) =>
          sql`
            SELECT * FROM stripe_event_logs ${where(filters)}
            ORDER BY received_at DESC, id LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: Filters,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (filters) => sql`SELECT count(*)::int AS total FROM stripe_event_logs ${where(filters)}`
      })
      const byId = (lock: boolean) =>
        SqlSchema.findOneOption({
          Request: Schema.String,
          Result: RecordedStripeEvent,
          execute: (id) => sql`SELECT * FROM stripe_event_logs WHERE id = ${id} ${lock ? sql`FOR UPDATE` : sql``}`
        })
      const read = byId(false)
      const lockRow = byId(true)
      const clearProcessed = SqlSchema.findOne({
        Request: Schema.String,
        Result: RecordedStripeEvent,
        execute: (id) =>
          sql`UPDATE stripe_event_logs SET processed_at = NULL, outcome = NULL WHERE id = ${id} RETURNING *`
      })

      return StripeEventDirectory.of({
        search: Effect.fn("StripeEventDirectory.search")(function*(query: StripeEventSearch) {
          const filters = {
            type: blankToNull(query.type),
            state: query.state ?? null,
            eventId: blankToNull(query.eventId)
          }
          const [items, { total }] = yield* Effect.all([
            page({ ...filters, limit: query.limit, offset: query.offset }),
            count(filters)
          ])
          return { items, total }
        }, Effect.orDie),
        find: (id) => isUuid(id) ? read(id).pipe(Effect.orDie) : Effect.succeed(Option.none()),
        requeue: Effect.fn("StripeEventDirectory.requeue")(function*(id: string) {
          if (!isUuid(id)) return yield* new StripeEventNotFound({ id })
          return yield* inTransaction(Effect.gen(function*() {
            const before = yield* lockRow(id)
            if (Option.isNone(before)) return yield* new StripeEventNotFound({ id })
            const event = yield* decodeEvent(before.value.payload).pipe(
              Effect.mapError(() =>
                new StripeEventNotRequeueable({ reason: "The recorded payload is not a Stripe event." })
              )
            )
            const message = queueOf(event.type)
            if (message === undefined) {
              return yield* new StripeEventNotRequeueable({ reason: `CueBX does not handle ${event.type} events.` })
            }
            const after = yield* clearProcessed(id)
            const messageId = yield* outbox.enqueue(message, payloadOf(event))
            return { before: before.value, after, messageId }
          }))
        }, Effect.catchTag(["SchemaError", "NoSuchElementError"], Effect.die))
      })
    })
  )
}
