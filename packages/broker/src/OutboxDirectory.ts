/**
 * The operators' view of the outbox (the admin panel): its messages newest first, by queue and
 * state (waiting for their first publish, failing, published), and one message in full. Reads
 * only; the relay in `Outbox.ts` is what writes these rows.
 */
import { isUuid, TimestampColumn } from "@cuebx/db"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const OutboxMessage = Schema.Struct({
  id: Schema.String,
  queue: Schema.String,
  messageId: Schema.String,
  payload: Schema.Unknown,
  headers: Schema.Record(Schema.String, Schema.Unknown),
  attempts: Schema.Int,
  lastError: Schema.NullOr(Schema.String),
  availableAt: TimestampColumn,
  publishedAt: Schema.NullOr(TimestampColumn),
  createdAt: TimestampColumn
})
export type OutboxMessage = typeof OutboxMessage.Type

/** `pending`: not published and never failed; `failing`: not published after a failed attempt. */
export const outboxStates = ["pending", "failing", "published"] as const
export type OutboxState = typeof outboxStates[number]

export const outboxStateOf = (message: OutboxMessage): OutboxState =>
  message.publishedAt !== null ? "published" : message.attempts > 0 ? "failing" : "pending"

export interface OutboxQuery {
  readonly queue: string | undefined
  readonly state: OutboxState | undefined
  /** A message id or row id, exactly. */
  readonly id: string | undefined
  readonly limit: number
  readonly offset: number
}

const Filters = Schema.Struct({
  queue: Schema.NullOr(Schema.String),
  state: Schema.NullOr(Schema.Literals(outboxStates)),
  id: Schema.NullOr(Schema.String)
})

export class OutboxDirectory extends Context.Service<OutboxDirectory, {
  list(query: OutboxQuery): Effect.Effect<{ readonly items: ReadonlyArray<OutboxMessage>; readonly total: number }>
  find(id: string): Effect.Effect<Option.Option<OutboxMessage>>
}>()("@cuebx/broker/OutboxDirectory") {
  static readonly layer = Layer.effect(
    OutboxDirectory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const where = ({ id, queue, state }: typeof Filters.Type) =>
        sql`
          WHERE (${queue}::text IS NULL OR queue = ${queue})
            AND (${id}::uuid IS NULL OR message_id = ${id}::uuid OR id = ${id}::uuid)
            AND (${state}::text IS NULL
              OR (${state} = 'pending' AND published_at IS NULL AND attempts = 0)
              OR (${state} = 'failing' AND published_at IS NULL AND attempts > 0)
              OR (${state} = 'published' AND published_at IS NOT NULL))`
      const page = SqlSchema.findAll({
        Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
        Result: OutboxMessage,
        execute: ({ limit, offset, ...filters }) =>
          sql`SELECT * FROM outbox_messages ${
            where(filters)
          } ORDER BY created_at DESC, id LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: Filters,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (filters) => sql`SELECT count(*)::int AS total FROM outbox_messages ${where(filters)}`
      })
      const byId = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: OutboxMessage,
        execute: (id) => sql`SELECT * FROM outbox_messages WHERE id = ${id}`
      })

      return OutboxDirectory.of({
        list: Effect.fn("OutboxDirectory.list")(function*(query: OutboxQuery) {
          const id = query.id?.trim()
          if (id !== undefined && id !== "" && !isUuid(id)) return { items: [], total: 0 }
          const filters = { queue: query.queue ?? null, state: query.state ?? null, id: id || null }
          const [items, { total }] = yield* Effect.all([
            page({ ...filters, limit: query.limit, offset: query.offset }),
            count(filters)
          ])
          return { items, total }
        }, Effect.orDie),
        find: (id) => isUuid(id) ? byId(id).pipe(Effect.orDie) : Effect.succeed(Option.none())
      })
    })
  )
}
