/**
 * The transactional outbox: a domain write and the messages it causes commit together, because
 * `Outbox.enqueue` writes the message into `outbox_messages` in the caller's transaction. The
 * relay publishes pending rows with confirms (woken by NOTIFY, and polling as a fallback), marks
 * them published, and backs off on failure, so a RabbitMQ outage delays messages but loses none.
 */
import { RequestId } from "@cuebx/observability"
import { PgClient } from "@effect/sql-pg"
import { Config, Context, Duration, Effect, Layer, Option, Queue, Schedule, Schema, Stream } from "effect"
import { HttpTraceContext } from "effect/http"
import { SqlClient } from "effect/sql"
import { Broker } from "./Broker.ts"
import type { QueueSpec } from "./Queues.ts"

/** A message type: the queue it goes to and the schema of its payload. */
export interface MessageType<A, I> {
  readonly queue: QueueSpec
  readonly payload: Schema.Codec<A, I>
}

export const messageType = <A, I>(queue: QueueSpec, payload: Schema.Codec<A, I>): MessageType<A, I> => ({
  queue,
  payload
})

export const OutboxSettings = Config.all({
  batchSize: Config.Int("OUTBOX_BATCH_SIZE").pipe(Config.withDefault(100)),
  pollInterval: Config.Duration("OUTBOX_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
  maxBackoff: Config.Duration("OUTBOX_MAX_BACKOFF").pipe(Config.withDefault(Duration.minutes(5)))
})

const notifyChannel = "cuebx_outbox"

/** Headers that let the consumer continue the trace and the request's logs. */
const contextHeaders = Effect.gen(function*() {
  const headers: Record<string, string> = {}
  const requestId = yield* RequestId
  if (requestId !== undefined) headers["x-request-id"] = requestId
  const span = yield* Effect.option(Effect.currentSpan)
  if (Option.isSome(span)) headers["traceparent"] = HttpTraceContext.toHeaders(span.value)["traceparent"]!
  return headers
})

export class Outbox extends Context.Service<Outbox, {
  /**
   * Writes a message to the outbox; run it inside the transaction of the write that causes it.
   * Returns the message id consumers use to handle it once.
   */
  enqueue<A, I>(type: MessageType<A, I>, payload: A): Effect.Effect<string>
}>()("@cuebx/broker/Outbox") {
  static readonly layer = Layer.effect(
    Outbox,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const enqueue = Effect.fn("Outbox.enqueue")(function*<A, I>(type: MessageType<A, I>, payload: A) {
        const encoded = yield* Schema.encodeEffect(type.payload)(payload).pipe(Effect.orDie)
        const messageId = crypto.randomUUID()
        const headers = yield* contextHeaders
        yield* sql`
          INSERT INTO outbox_messages (queue, message_id, payload, headers)
          VALUES (${type.queue.name}, ${messageId}, ${JSON.stringify(encoded)}::jsonb, ${
          JSON.stringify(headers)
        }::jsonb)`
        yield* sql`SELECT pg_notify(${notifyChannel}, '')`
        return messageId
      }, Effect.orDie)
      return Outbox.of({ enqueue })
    })
  )
}

interface PendingRow {
  readonly id: string
  readonly queue: string
  readonly messageId: string
  readonly payload: unknown
  readonly headers: Record<string, unknown>
  readonly attempts: number
}

/** Exponential backoff per failed attempt: 1 s, 2 s, 4 s ... capped. */
export const relayBackoff = (attempts: number, max: Duration.Duration) =>
  Duration.min(Duration.seconds(2 ** Math.min(attempts, 30)), max)

/**
 * Publishes pending outbox rows. Several relays (API and worker replicas) can run at once:
 * `FOR UPDATE SKIP LOCKED` gives each row to one of them. A relay that dies mid-batch rolls its
 * transaction back and the rows are published again (consumers drop duplicates by message id).
 */
export class OutboxRelay extends Context.Service<OutboxRelay, {
  /** Publishes every row that is due now; returns how many were published. */
  readonly drain: Effect.Effect<number>
}>()("@cuebx/broker/OutboxRelay") {
  static readonly layer = Layer.effect(
    OutboxRelay,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const broker = yield* Broker
      const settings = yield* OutboxSettings

      const publishRow = (row: PendingRow) =>
        broker.publish({
          queue: row.queue,
          body: JSON.stringify(row.payload),
          messageId: row.messageId,
          headers: row.headers
        })

      const relayBatch = sql.withTransaction(Effect.gen(function*() {
        const rows = yield* sql<PendingRow>`
          SELECT id, queue, message_id, payload, headers, attempts FROM outbox_messages
          WHERE published_at IS NULL AND available_at <= now()
          ORDER BY created_at
          LIMIT ${settings.batchSize}
          FOR UPDATE SKIP LOCKED`
        let published = 0
        for (const row of rows) {
          const outcome = yield* Effect.result(publishRow(row))
          if (outcome._tag === "Failure") {
            const delay = Duration.toMillis(relayBackoff(row.attempts, settings.maxBackoff))
            yield* sql`
              UPDATE outbox_messages
              SET attempts = attempts + 1, last_error = ${outcome.failure.reason},
                  available_at = now() + ${delay} * interval '1 millisecond'
              WHERE id = ${row.id}`
            yield* Effect.logWarning("Outbox publish failed; will retry", {
              queue: row.queue,
              messageId: row.messageId,
              reason: outcome.failure.reason
            })
            // The rest of the batch would most likely fail the same way.
            break
          }
          yield* sql`UPDATE outbox_messages SET published_at = now() WHERE id = ${row.id}`
          published++
        }
        return { published, full: rows.length === settings.batchSize }
      }))

      const drain = relayBatch.pipe(
        Effect.repeat({ while: ({ full, published }) => full && published > 0 }),
        Effect.map(({ published }) => published),
        Effect.withSpan("OutboxRelay.drain"),
        Effect.orDie
      )
      return OutboxRelay.of({ drain })
    })
  )

  /**
   * Runs the relay in the background for as long as the enclosing scope: whenever a row is
   * enqueued (NOTIFY), on every poll tick, and whenever RabbitMQ (re)connects.
   */
  static readonly layerRunning = Layer.effectDiscard(Effect.gen(function*() {
    const relay = yield* OutboxRelay
    const broker = yield* Broker
    const settings = yield* OutboxSettings
    const wakeUps = yield* Queue.sliding<void>(1)
    const wake = Queue.offer(wakeUps, undefined)

    const pg = yield* Effect.serviceOption(PgClient.PgClient)
    if (Option.isSome(pg)) {
      yield* Effect.gen(function*() {
        const notifications = yield* pg.value.listen(notifyChannel)
        yield* Stream.fromQueue(notifications).pipe(Stream.runForEach(() => wake))
      }).pipe(
        Effect.scoped,
        Effect.tapCause((cause) => Effect.logWarning("Outbox LISTEN stopped; restarting", cause)),
        Effect.retry(Schedule.spaced("1 second")),
        Effect.forkScoped
      )
    }
    yield* broker.sessions.pipe(Stream.runForEach(() => wake), Effect.forkScoped)
    yield* wake.pipe(Effect.repeat(Schedule.spaced(settings.pollInterval)), Effect.forkScoped)

    yield* Queue.take(wakeUps).pipe(
      Effect.andThen(broker.isReady),
      Effect.flatMap((ready) => ready ? relay.drain : Effect.succeed(0)),
      Effect.catchCause((cause) => Effect.logError("Outbox relay failed", cause)),
      Effect.forever,
      Effect.forkScoped
    )
  }))
}

/** The relay running in the background, with its own service: what a publishing program includes. */
export const OutboxRelayLive = Layer.unwrap(
  Effect.sync(() => OutboxRelay.layerRunning.pipe(Layer.provide(OutboxRelay.layer)))
)
