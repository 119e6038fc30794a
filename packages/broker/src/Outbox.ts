/**
 * The transactional outbox: a domain write and the messages it causes commit together, because
 * `Outbox.enqueue` writes the message into `outbox_messages` in the caller's transaction. The
 * relay leases pending rows in one short statement, publishes them with confirms outside any
 * transaction (woken by NOTIFY, and polling as a fallback), then marks them published, and backs
 * off on failure, so a RabbitMQ outage delays messages but loses none.
 */
import { TimestampColumn } from "@cuebx/db"
import { RequestId } from "@cuebx/observability"
import { PgClient } from "@effect/sql-pg"
import {
  Clock,
  Config,
  Context,
  DateTime,
  Duration,
  Effect,
  Layer,
  Option,
  Queue,
  Schedule,
  Schema,
  Stream
} from "effect"
import { HttpTraceContext } from "effect/http"
import { SqlClient, SqlSchema } from "effect/sql"
import { Broker, PublishSettings } from "./Broker.ts"
import type { MessageType } from "./MessageType.ts"

export const OutboxSettings = Config.all({
  batchSize: Config.Int("OUTBOX_BATCH_SIZE").pipe(Config.withDefault(100)),
  pollInterval: Config.Duration("OUTBOX_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
  maxBackoff: Config.Duration("OUTBOX_MAX_BACKOFF").pipe(Config.withDefault(Duration.minutes(5))),
  /** How long leased rows are hidden from other relays; a relay that dies leaves them for this long. */
  lease: Config.Duration("OUTBOX_LEASE").pipe(Config.withDefault(Duration.seconds(60)))
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

/** A leased row, as `RETURNING` hands it over (the driver parses jsonb). */
const LeasedRow = Schema.Struct({
  id: Schema.String,
  queue: Schema.String,
  messageId: Schema.String,
  payload: Schema.Unknown,
  headers: Schema.Record(Schema.String, Schema.Unknown),
  attempts: Schema.Int,
  createdAt: TimestampColumn
})
type LeasedRow = typeof LeasedRow.Type

const RowIds = Schema.Array(Schema.String)

const millis = (duration: Duration.Duration) => Math.ceil(Duration.toMillis(duration))

/** Exponential backoff per failed attempt: 1 s, 2 s, 4 s ... capped. */
export const relayBackoff = (attempts: number, max: Duration.Duration) =>
  Duration.min(Duration.seconds(2 ** Math.min(attempts, 30)), max)

/**
 * Publishes pending outbox rows. Several relays (API and worker replicas) can run at once: each
 * leases a batch by pushing its rows' `available_at` forward by `OUTBOX_LEASE` (other relays
 * skip them until then), publishes without holding a transaction or a pooled connection, then
 * marks what was confirmed and releases the rest. A relay that dies mid-batch loses nothing: its
 * lease expires and another relay publishes the rows again (consumers drop duplicates by message
 * id). A relay releases the rest of its batch once its lease might not cover one more publish
 * (the publish timeouts), so with a lease longer than those no two relays publish the same row.
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
      const publishing = yield* PublishSettings
      const leaseMillis = millis(settings.lease)
      // Past this point of the lease a publish might outlive it: leave the rest to the next lease.
      const publishWindowMillis = leaseMillis - millis(publishing.connectTimeout) - millis(publishing.confirmTimeout)

      // One statement, so the row locks last only as long as it runs.
      const lease = SqlSchema.findAll({
        Request: Schema.Void,
        Result: LeasedRow,
        execute: () =>
          sql`
            UPDATE outbox_messages SET available_at = now() + ${leaseMillis} * interval '1 millisecond'
            WHERE id IN (
              SELECT id FROM outbox_messages
              WHERE published_at IS NULL AND available_at <= now()
              ORDER BY created_at
              LIMIT ${settings.batchSize}
              FOR UPDATE SKIP LOCKED)
            RETURNING id, queue, message_id, payload, headers, attempts, created_at`
      })

      const markPublished = SqlSchema.void({
        Request: RowIds,
        execute: (ids) => sql`UPDATE outbox_messages SET published_at = now() WHERE id IN ${sql.in(ids)}`
      })

      // Released rows are due again at once, for whichever relay comes first.
      const release = SqlSchema.void({
        Request: RowIds,
        execute: (ids) =>
          sql`UPDATE outbox_messages SET available_at = now() WHERE id IN ${sql.in(ids)} AND published_at IS NULL`
      })

      const recordFailure = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, reason: Schema.String, delayMillis: Schema.Number }),
        execute: ({ id, reason, delayMillis }) =>
          sql`
            UPDATE outbox_messages
            SET attempts = attempts + 1, last_error = ${reason},
                available_at = now() + ${delayMillis} * interval '1 millisecond'
            WHERE id = ${id}`
      })

      const publishRow = (row: LeasedRow) =>
        broker.publish({
          queue: row.queue,
          body: JSON.stringify(row.payload),
          messageId: row.messageId,
          headers: row.headers
        })

      /** Marks what was confirmed and releases what was not tried; runs even when interrupted. */
      const settle = (rows: ReadonlyArray<LeasedRow>, published: ReadonlyArray<string>, failed: string | undefined) =>
        Effect.gen(function*() {
          if (published.length > 0) yield* markPublished(published)
          const untried = rows.map((row) => row.id).filter((id) => id !== failed && !published.includes(id))
          if (untried.length > 0) yield* release(untried)
        })

      const relayBatch = Effect.gen(function*() {
        const rows = (yield* lease(undefined)).toSorted((a, b) => DateTime.Order(a.createdAt, b.createdAt))
        const leasedAt = yield* Clock.currentTimeMillis
        const published: Array<string> = []
        let failed: string | undefined
        yield* Effect.gen(function*() {
          for (const row of rows) {
            if (published.length > 0 && (yield* Clock.currentTimeMillis) - leasedAt >= publishWindowMillis) return
            const outcome = yield* Effect.result(publishRow(row))
            if (outcome._tag === "Failure") {
              failed = row.id
              const delay = relayBackoff(row.attempts, settings.maxBackoff)
              yield* recordFailure({
                id: row.id,
                reason: outcome.failure.reason,
                delayMillis: Duration.toMillis(delay)
              })
              yield* Effect.logWarning("Outbox publish failed; will retry", {
                queue: row.queue,
                messageId: row.messageId,
                reason: outcome.failure.reason
              })
              // The rest of the batch would most likely fail the same way.
              return
            }
            published.push(row.id)
          }
        }).pipe(Effect.ensuring(Effect.suspend(() => settle(rows, published, failed).pipe(Effect.orDie))))
        return { published: published.length, full: rows.length === settings.batchSize }
      })

      // Batch after batch while batches come back full and publishing works.
      const drain = Effect.gen(function*() {
        let total = 0
        while (true) {
          const { published, full } = yield* relayBatch
          total += published
          if (!full || published === 0) return total
        }
      }).pipe(Effect.withSpan("OutboxRelay.drain"), Effect.orDie)
      return OutboxRelay.of({ drain })
    })
  )

  /**
   * Runs the relay in the background for as long as the enclosing scope: whenever a row is
   * enqueued (NOTIFY), on every poll tick, and whenever the transport becomes ready (RabbitMQ
   * (re)connects).
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
    yield* broker.readiness.pipe(Stream.runForEach(() => wake), Effect.forkScoped)
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
