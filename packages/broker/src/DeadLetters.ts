/**
 * Dead letters: every message that reaches a `*_dead` queue is stored in `dlq_messages` (then
 * acknowledged, never before), an alert goes to the operators, and operators list, replay
 * (publish-then-mark, body verbatim) or discard them. A storage failure leaves the message in
 * the queue for redelivery instead of dropping it.
 */
import { isUuid, TimestampColumn, transactionWith, UpperCaseEnum } from "@cuebx/db"
import { Context, Data, DateTime, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { Broker, type Delivery, type PublishFailed, type Settlement } from "./Broker.ts"
import { allQueues, deadLetterQueueName, mainQueueOfDeadLetters } from "./Queues.ts"
import { redactBody } from "./Redaction.ts"

/** Stored `'PENDING'`, `'RETRIED'`, `'DISCARDED'`; lower case in code and on the wire. */
export const DeadLetterStatus = UpperCaseEnum(["pending", "retried", "discarded"])
export type DeadLetterStatus = typeof DeadLetterStatus.Type

/** A row of `dlq_messages`, decoded. */
export const DeadLetter = Schema.Struct({
  id: Schema.String,
  queueName: Schema.String,
  originalQueue: Schema.String,
  messageId: Schema.NullOr(Schema.String),
  messageBody: Schema.String,
  headers: Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown)),
  errorMessage: Schema.NullOr(Schema.String),
  attemptCount: Schema.Int,
  status: DeadLetterStatus,
  alertedAt: Schema.NullOr(TimestampColumn),
  retriedAt: Schema.NullOr(TimestampColumn),
  discardedAt: Schema.NullOr(TimestampColumn),
  createdAt: TimestampColumn,
  updatedAt: TimestampColumn
})
export type DeadLetter = typeof DeadLetter.Type

export interface DeadLetterAlert {
  readonly queue: string
  readonly messageBody: string
  readonly errorMessage: string | null
  readonly attemptCount: number
  readonly at: DateTime.Utc
}

/** Tells operators about a new dead letter (an email, in the worker). The body is already redacted. */
export class DeadLetterAlerts extends Context.Service<DeadLetterAlerts, {
  notify(alert: DeadLetterAlert): Effect.Effect<void, unknown>
}>()("@cuebx/broker/DeadLetterAlerts") {
  static readonly layerNone = Layer.succeed(DeadLetterAlerts, DeadLetterAlerts.of({ notify: () => Effect.void }))
}

export class DeadLetterNotFound extends Data.TaggedError("DeadLetterNotFound")<{ readonly id: string }> {}
export class DeadLetterNotPending extends Data.TaggedError("DeadLetterNotPending")<{
  readonly id: string
  readonly status: DeadLetterStatus
}> {}

export interface DeadLetterQuery {
  readonly queue?: string | undefined
  readonly status?: DeadLetterStatus | undefined
  readonly limit: number
  readonly offset: number
}

const QueryRequest = Schema.Struct({
  queue: Schema.UndefinedOr(Schema.String),
  status: Schema.UndefinedOr(DeadLetterStatus),
  limit: Schema.Int,
  offset: Schema.Int
})

const MetricsRow = Schema.Struct({ queueName: Schema.String, status: DeadLetterStatus, count: Schema.Int })

export interface DeadLetterMetrics {
  readonly total: number
  readonly items: ReadonlyArray<typeof MetricsRow.Type>
}

/** What `store` writes: a message taken from a dead-letter queue, with its failure history. */
const StoreRequest = Schema.Struct({
  queueName: Schema.String,
  originalQueue: Schema.String,
  messageId: Schema.NullOr(Schema.String),
  messageBody: Schema.String,
  headers: Schema.Record(Schema.String, Schema.Unknown),
  errorMessage: Schema.NullOr(Schema.String),
  attemptCount: Schema.Int
})

/** Headers a replay drops: the failure history belongs to the dead letter, not to the new attempt. */
const historyHeaders = new Set([
  "x-retry-attempt",
  "x-error-message",
  "x-original-queue",
  "x-death",
  "x-first-death-exchange",
  "x-first-death-queue",
  "x-first-death-reason",
  "x-last-death-exchange",
  "x-last-death-queue",
  "x-last-death-reason"
])

export class DeadLetters extends Context.Service<DeadLetters, {
  /** Stores a message taken from a dead-letter queue; a message seen again revives its row. */
  store(deadLetterQueue: string, delivery: Delivery): Effect.Effect<DeadLetter>
  /** Records that the operators were alerted about the row. */
  markAlerted(id: string): Effect.Effect<void>
  list(query: DeadLetterQuery): Effect.Effect<{ readonly items: ReadonlyArray<DeadLetter>; readonly total: number }>
  get(id: string): Effect.Effect<DeadLetter, DeadLetterNotFound>
  metrics: Effect.Effect<DeadLetterMetrics>
  /** Publishes the original body to its main queue (with confirms), then marks the row retried. */
  replay(id: string): Effect.Effect<DeadLetter, DeadLetterNotFound | DeadLetterNotPending | PublishFailed>
  discard(id: string): Effect.Effect<DeadLetter, DeadLetterNotFound | DeadLetterNotPending>
}>()("@cuebx/broker/DeadLetters") {
  static readonly layer = Layer.effect(
    DeadLetters,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const broker = yield* Broker
      const transaction = transactionWith(sql)
      const columns = sql.literal(
        "id, queue_name, original_queue, message_id, message_body, headers, error_message, attempt_count, status, " +
          "alerted_at, retried_at, discarded_at, created_at, updated_at"
      )

      const insert = SqlSchema.findOne({
        Request: StoreRequest,
        Result: DeadLetter,
        execute: (row) =>
          sql`
            INSERT INTO dlq_messages (queue_name, original_queue, message_id, message_body, headers, error_message, attempt_count)
            VALUES (${row.queueName}, ${row.originalQueue}, ${row.messageId}, ${row.messageBody},
                    ${JSON.stringify(row.headers)}::jsonb, ${row.errorMessage}, ${row.attemptCount})
            ON CONFLICT (queue_name, message_id) WHERE message_id IS NOT NULL DO UPDATE SET
              message_body = EXCLUDED.message_body, headers = EXCLUDED.headers, error_message = EXCLUDED.error_message,
              attempt_count = EXCLUDED.attempt_count, status = 'PENDING',
              -- a redelivery of a row still pending was already alerted about; a new failure is news
              alerted_at = CASE WHEN dlq_messages.status = 'PENDING' THEN dlq_messages.alerted_at END,
              is_deleted = false, deleted_at = NULL
            RETURNING ${columns}`
      })

      const byId = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: DeadLetter,
        execute: (id) => sql`SELECT ${columns} FROM dlq_messages WHERE id = ${id} AND NOT is_deleted`
      })

      const lockById = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: DeadLetter,
        execute: (id) => sql`SELECT ${columns} FROM dlq_messages WHERE id = ${id} AND NOT is_deleted FOR UPDATE`
      })

      const filtersOf = (query: typeof QueryRequest.Encoded) => {
        const filters = [sql`NOT is_deleted`]
        if (query.queue !== undefined) filters.push(sql`queue_name = ${query.queue}`)
        if (query.status !== undefined) filters.push(sql`status = ${query.status}`)
        return sql.and(filters)
      }

      const page = SqlSchema.findAll({
        Request: QueryRequest,
        Result: DeadLetter,
        execute: (query) =>
          sql`
            SELECT ${columns} FROM dlq_messages WHERE ${filtersOf(query)}
            ORDER BY created_at DESC, id DESC LIMIT ${query.limit} OFFSET ${query.offset}`
      })

      const count = SqlSchema.findOne({
        Request: QueryRequest,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (query) => sql`SELECT count(*)::int AS total FROM dlq_messages WHERE ${filtersOf(query)}`
      })

      const countByQueueAndStatus = SqlSchema.findAll({
        Request: Schema.Void,
        Result: MetricsRow,
        execute: () =>
          sql`
            SELECT queue_name, status, count(*)::int AS count FROM dlq_messages WHERE NOT is_deleted
            GROUP BY queue_name, status ORDER BY queue_name, status`
      })

      const markRetried = SqlSchema.findOne({
        Request: Schema.String,
        Result: DeadLetter,
        execute: (id) =>
          sql`UPDATE dlq_messages SET status = 'RETRIED', retried_at = now() WHERE id = ${id} RETURNING ${columns}`
      })

      const markDiscarded = SqlSchema.findOne({
        Request: Schema.String,
        Result: DeadLetter,
        execute: (id) =>
          sql`UPDATE dlq_messages SET status = 'DISCARDED', discarded_at = now() WHERE id = ${id} RETURNING ${columns}`
      })

      const setAlerted = SqlSchema.void({
        Request: Schema.String,
        execute: (id) => sql`UPDATE dlq_messages SET alerted_at = now() WHERE id = ${id}`
      })

      const store = Effect.fn("DeadLetters.store")(function*(deadLetterQueue: string, delivery: Delivery) {
        const headers = delivery.headers
        const attemptCount = Number(headers["x-retry-attempt"])
        return yield* insert({
          queueName: deadLetterQueue,
          originalQueue: typeof headers["x-original-queue"] === "string"
            ? headers["x-original-queue"]
            : mainQueueOfDeadLetters(deadLetterQueue),
          messageId: delivery.messageId ?? null,
          messageBody: Buffer.from(delivery.body).toString("utf8"),
          headers,
          errorMessage: headers["x-error-message"] === undefined ? null : String(headers["x-error-message"]),
          attemptCount: Number.isInteger(attemptCount) ? attemptCount : 0
        })
      }, Effect.orDie)

      const markAlerted = Effect.fn("DeadLetters.markAlerted")(function*(id: string) {
        yield* setAlerted(id)
      }, Effect.orDie)

      const get = Effect.fn("DeadLetters.get")(function*(id: string) {
        if (!isUuid(id)) return yield* new DeadLetterNotFound({ id })
        const row = yield* byId(id).pipe(Effect.orDie)
        if (row._tag === "None") return yield* new DeadLetterNotFound({ id })
        return row.value
      })

      const list = Effect.fn("DeadLetters.list")(function*(query: DeadLetterQuery) {
        const request = { queue: query.queue, status: query.status, limit: query.limit, offset: query.offset }
        const items = yield* page(request)
        const { total } = yield* count(request)
        return { items, total }
      }, Effect.orDie)

      const metrics = countByQueueAndStatus(undefined).pipe(
        Effect.map((items) => ({ total: items.reduce((sum, item) => sum + item.count, 0), items })),
        Effect.orDie,
        Effect.withSpan("DeadLetters.metrics")
      )

      const lockPending = Effect.fnUntraced(function*(id: string) {
        if (!isUuid(id)) return yield* new DeadLetterNotFound({ id })
        const row = yield* lockById(id).pipe(Effect.orDie)
        if (row._tag === "None") return yield* new DeadLetterNotFound({ id })
        if (row.value.status !== "pending") {
          return yield* new DeadLetterNotPending({ id, status: row.value.status })
        }
        return row.value
      })

      const replay = Effect.fn("DeadLetters.replay")(function*(id: string) {
        return yield* transaction(Effect.gen(function*() {
          const row = yield* lockPending(id)
          const headers = Object.fromEntries(
            Object.entries(row.headers ?? {}).filter(([key]) => !historyHeaders.has(key))
          )
          yield* broker.publish({
            queue: row.originalQueue,
            body: row.messageBody,
            messageId: row.messageId ?? crypto.randomUUID(),
            headers: { ...headers, "x-replayed-from": row.id }
          })
          return yield* markRetried(id).pipe(Effect.orDie)
        }))
      })

      const discard = Effect.fn("DeadLetters.discard")(function*(id: string) {
        return yield* transaction(Effect.gen(function*() {
          yield* lockPending(id)
          return yield* markDiscarded(id).pipe(Effect.orDie)
        }))
      })

      return DeadLetters.of({ store, markAlerted, list, get, metrics, replay, discard })
    })
  )
}

/**
 * Consumes every dead-letter queue: store, alert (best effort, once per row), acknowledge. When
 * the database is unavailable the message goes back to its queue and is tried again later.
 */
export const runDeadLetterConsumers = Layer.effectDiscard(Effect.gen(function*() {
  const broker = yield* Broker
  const deadLetters = yield* DeadLetters
  const alerts = yield* DeadLetterAlerts

  const handle = (queue: string) => (delivery: Delivery): Effect.Effect<Settlement> =>
    Effect.gen(function*() {
      const row = yield* deadLetters.store(queue, delivery)
      yield* Effect.logWarning("Dead letter stored", { dead_letter_id: row.id, error: row.errorMessage })
      if (row.alertedAt === null) {
        yield* alerts.notify({
          queue,
          messageBody: redactBody(row.messageBody),
          errorMessage: row.errorMessage,
          attemptCount: row.attemptCount,
          at: row.updatedAt
        }).pipe(
          Effect.andThen(deadLetters.markAlerted(row.id)),
          Effect.catchCause((cause) => Effect.logWarning("Dead letter alert not sent", cause))
        )
      }
      return "ack" as const
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.logError("Could not store a dead letter; it stays queued", cause).pipe(
          Effect.andThen(Effect.sleep("1 second")),
          Effect.as<Settlement>("requeue")
        )
      ),
      Effect.annotateLogs({ queue, message_id: delivery.messageId ?? "" }),
      Effect.withSpan(`consume ${queue}`, { kind: "consumer" })
    )

  for (const spec of allQueues) {
    const queue = deadLetterQueueName(spec.name)
    yield* broker.consume(queue, { prefetch: 10, concurrency: 2 }, handle(queue)).pipe(Effect.forkScoped)
  }
}))
