/**
 * Dead letters: every message that reaches a `*_dead` queue is stored in `dlq_messages` (then
 * acknowledged, never before), an alert goes to the operators, and operators list, replay
 * (publish-then-mark, body verbatim) or discard them. A storage failure leaves the message in
 * the queue for redelivery instead of dropping it.
 */
import type * as Amqp from "amqplib"
import { Context, Data, Effect, FiberSet, Layer, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { amqpCall, amqpQuietly } from "./AmqpCalls.ts"
import { Broker, openChannel, type PublishFailed, untilChannelClosed } from "./Broker.ts"
import { plainHeaders } from "./Consumers.ts"
import { allQueues, deadLetterQueueName, mainQueueOfDeadLetters } from "./Queues.ts"
import { redactBody } from "./Redaction.ts"

export type DeadLetterStatus = "PENDING" | "RETRIED" | "DISCARDED"

export interface DeadLetter {
  readonly id: string
  readonly queueName: string
  readonly originalQueue: string
  readonly messageId: string | null
  readonly messageBody: string
  readonly headers: Record<string, unknown> | null
  readonly errorMessage: string | null
  readonly attemptCount: number
  readonly status: DeadLetterStatus
  readonly alertedAt: Date | null
  readonly retriedAt: Date | null
  readonly discardedAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface DeadLetterAlert {
  readonly queue: string
  readonly messageBody: string
  readonly errorMessage: string | null
  readonly attemptCount: number
  readonly at: Date
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

export interface DeadLetterMetrics {
  readonly total: number
  readonly items: ReadonlyArray<
    { readonly queueName: string; readonly status: DeadLetterStatus; readonly count: number }
  >
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

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
  store(deadLetterQueue: string, message: Amqp.ConsumeMessage): Effect.Effect<DeadLetter>
  list(query: DeadLetterQuery): Effect.Effect<{ readonly items: ReadonlyArray<DeadLetter>; readonly total: number }>
  get(id: string): Effect.Effect<DeadLetter, DeadLetterNotFound>
  metrics: Effect.Effect<DeadLetterMetrics>
  /** Publishes the original body to its main queue (with confirms), then marks the row RETRIED. */
  replay(id: string): Effect.Effect<DeadLetter, DeadLetterNotFound | DeadLetterNotPending | PublishFailed>
  discard(id: string): Effect.Effect<DeadLetter, DeadLetterNotFound | DeadLetterNotPending>
}>()("@cuebx/broker/DeadLetters") {
  static readonly layer = Layer.effect(
    DeadLetters,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const broker = yield* Broker

      const store = Effect.fn("DeadLetters.store")(function*(deadLetterQueue: string, message: Amqp.ConsumeMessage) {
        const headers = plainHeaders(message.properties.headers)
        const messageId = message.properties.messageId === undefined ? null : String(message.properties.messageId)
        const originalQueue = typeof headers["x-original-queue"] === "string"
          ? headers["x-original-queue"]
          : mainQueueOfDeadLetters(deadLetterQueue)
        const errorMessage = headers["x-error-message"] === undefined ? null : String(headers["x-error-message"])
        const attemptCount = Number.isInteger(Number(headers["x-retry-attempt"]))
          ? Number(headers["x-retry-attempt"])
          : 0
        const rows = yield* sql<DeadLetter>`
          INSERT INTO dlq_messages (queue_name, original_queue, message_id, message_body, headers, error_message, attempt_count)
          VALUES (${deadLetterQueue}, ${originalQueue}, ${messageId}, ${message.content.toString("utf8")},
                  ${JSON.stringify(headers)}::jsonb, ${errorMessage}, ${attemptCount})
          ON CONFLICT (queue_name, message_id) WHERE message_id IS NOT NULL DO UPDATE SET
            message_body = EXCLUDED.message_body, headers = EXCLUDED.headers, error_message = EXCLUDED.error_message,
            attempt_count = EXCLUDED.attempt_count, status = 'PENDING',
            -- a redelivery of a row still pending was already alerted about; a new failure is news
            alerted_at = CASE WHEN dlq_messages.status = 'PENDING' THEN dlq_messages.alerted_at END,
            is_deleted = false, deleted_at = NULL
          RETURNING *`
        return rows[0]!
      }, Effect.orDie)

      const get = Effect.fn("DeadLetters.get")(function*(id: string) {
        if (!uuidPattern.test(id)) return yield* new DeadLetterNotFound({ id })
        const rows = yield* sql<DeadLetter>`SELECT * FROM dlq_messages WHERE id = ${id} AND NOT is_deleted`.pipe(
          Effect.orDie
        )
        if (rows.length === 0) return yield* new DeadLetterNotFound({ id })
        return rows[0]!
      })

      const list = Effect.fn("DeadLetters.list")(function*(query: DeadLetterQuery) {
        const filters = [sql`NOT is_deleted`]
        if (query.queue !== undefined) filters.push(sql`queue_name = ${query.queue}`)
        if (query.status !== undefined) filters.push(sql`status = ${query.status}`)
        const where = sql.and(filters)
        const items = yield* sql<DeadLetter>`
          SELECT * FROM dlq_messages WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${query.limit} OFFSET ${query.offset}`
        const [count] = yield* sql<
          { readonly total: bigint }
        >`SELECT count(*) AS total FROM dlq_messages WHERE ${where}`
        return { items, total: Number(count?.total ?? 0) }
      }, Effect.orDie)

      const metrics = sql<{ readonly queueName: string; readonly status: DeadLetterStatus; readonly count: bigint }>`
        SELECT queue_name, status, count(*) AS count FROM dlq_messages WHERE NOT is_deleted
        GROUP BY queue_name, status ORDER BY queue_name, status`.pipe(
        Effect.map((rows) => {
          const items = rows.map((row) => ({ queueName: row.queueName, status: row.status, count: Number(row.count) }))
          return { total: items.reduce((sum, item) => sum + item.count, 0), items }
        }),
        Effect.orDie,
        Effect.withSpan("DeadLetters.metrics")
      )

      const lockPending = (id: string) =>
        Effect.gen(function*() {
          if (!uuidPattern.test(id)) return yield* new DeadLetterNotFound({ id })
          const rows = yield* sql<DeadLetter>`SELECT * FROM dlq_messages WHERE id = ${id} AND NOT is_deleted FOR UPDATE`
            .pipe(
              Effect.orDie
            )
          const row = rows[0]
          if (row === undefined) return yield* new DeadLetterNotFound({ id })
          if (row.status !== "PENDING") return yield* new DeadLetterNotPending({ id, status: row.status })
          return row
        })

      const replay = Effect.fn("DeadLetters.replay")(function*(id: string) {
        return yield* sql.withTransaction(Effect.gen(function*() {
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
          const updated = yield* sql<DeadLetter>`
            UPDATE dlq_messages SET status = 'RETRIED', retried_at = now() WHERE id = ${id} RETURNING *`.pipe(
            Effect.orDie
          )
          return updated[0]!
        })).pipe(Effect.catchTag("SqlError", Effect.die))
      })

      const discard = Effect.fn("DeadLetters.discard")(function*(id: string) {
        return yield* sql.withTransaction(Effect.gen(function*() {
          yield* lockPending(id)
          const updated = yield* sql<DeadLetter>`
            UPDATE dlq_messages SET status = 'DISCARDED', discarded_at = now() WHERE id = ${id} RETURNING *`.pipe(
            Effect.orDie
          )
          return updated[0]!
        })).pipe(Effect.catchTag("SqlError", Effect.die))
      })

      return DeadLetters.of({ store, list, get, metrics, replay, discard })
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
  const sql = yield* SqlClient.SqlClient
  const queues = allQueues.map((spec) => deadLetterQueueName(spec.name))

  const handle = (channel: Amqp.Channel, queue: string, message: Amqp.ConsumeMessage) =>
    Effect.gen(function*() {
      const row = yield* deadLetters.store(queue, message)
      yield* Effect.logWarning("Dead letter stored", { dead_letter_id: row.id, error: row.errorMessage })
      if (row.alertedAt === null) {
        yield* alerts.notify({
          queue,
          messageBody: redactBody(row.messageBody),
          errorMessage: row.errorMessage,
          attemptCount: row.attemptCount,
          at: row.updatedAt
        }).pipe(
          Effect.andThen(sql`UPDATE dlq_messages SET alerted_at = now() WHERE id = ${row.id}`),
          Effect.catchCause((cause) => Effect.logWarning("Dead letter alert not sent", cause))
        )
      }
      channel.ack(message)
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.logError("Could not store a dead letter; it stays queued", cause).pipe(
          Effect.andThen(Effect.sleep("1 second")),
          Effect.andThen(Effect.sync(() => channel.nack(message, false, true)))
        )
      ),
      Effect.annotateLogs({ queue, message_id: String(message.properties.messageId ?? "") }),
      Effect.withSpan(`consume ${queue}`, { kind: "consumer" }),
      Effect.uninterruptible
    )

  const consumeAll = (connection: Amqp.ChannelModel) =>
    Effect.gen(function*() {
      const channel = yield* openChannel(connection)
      yield* amqpCall(() => channel.prefetch(10))
      // Handlers run in a set owned by this scope: at shutdown, the ones running finish first.
      const runFork = yield* FiberSet.makeRuntime<never, void, never>()
      const tags: Array<string> = []
      for (const queue of queues) {
        const { consumerTag } = yield* amqpCall(() =>
          channel.consume(broker.queueName(queue), (message) => {
            if (message !== null) runFork(handle(channel, queue, message))
          }, { noAck: false })
        )
        tags.push(consumerTag)
      }
      yield* Effect.addFinalizer(() =>
        Effect.forEach(tags, (tag) => amqpQuietly(() => channel.cancel(tag)), { discard: true })
      )
      yield* untilChannelClosed(channel)
    }).pipe(
      Effect.scoped,
      Effect.tapCause((cause) => Effect.logWarning("Dead-letter consumers stopped", cause)),
      Effect.ignore
    )

  yield* broker.sessions.pipe(Stream.runForEach((session) => consumeAll(session.connection)), Effect.forkScoped)
}))
