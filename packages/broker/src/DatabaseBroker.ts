/**
 * The message transport without RabbitMQ: every queue is rows of `queue_messages` in PostgreSQL.
 * A publish inserts a row (to `<name>_retry`: into `<name>`, due after the queue's retry delay,
 * as RabbitMQ's retry queue would), and NOTIFY wakes the consumers. A consumer leases due rows
 * (`FOR UPDATE SKIP LOCKED`, then hidden for `QUEUE_LEASE`), hands them to the handler and deletes
 * them once settled, so a message is a row until it is handled: a consumer that dies leaves its
 * rows to be delivered again when their lease ends. Any process sharing the database may consume.
 */
import { PgClient } from "@effect/sql-pg"
import { Config, Duration, Effect, FiberSet, Option, PubSub, Queue, Schedule, Schema, Stream } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { allQueues, retryQueueName, TopologyOverrides, withOverrides } from "./Queues.ts"
import {
  type ConsumeOptions,
  type Delivery,
  type MessageTransport,
  type OutgoingMessage,
  PublishFailed,
  QueueDepthsUnavailable,
  type Settlement
} from "./Transport.ts"

export const DatabaseQueueSettings = Config.all({
  /** How long a delivered row stays hidden from other consumers; after a crash it is delivered again then. */
  lease: Config.Duration("QUEUE_LEASE").pipe(Config.withDefault(Duration.seconds(60)))
})

const notifyChannel = "cuebx_queues"

/** Consumers look for due rows at least this often, should a notification be missed. */
const pollMillis = 5_000

const LeasedRow = Schema.Struct({
  id: Schema.String,
  messageId: Schema.NullOr(Schema.String),
  body: Schema.Uint8Array,
  headers: Schema.Record(Schema.String, Schema.Unknown)
})
type LeasedRow = typeof LeasedRow.Type

const millis = (duration: Duration.Duration) => Math.ceil(Duration.toMillis(duration))

export const makeDatabaseBroker = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const settings = yield* DatabaseQueueSettings
  const overrides = yield* TopologyOverrides
  const effectiveSpec: MessageTransport["effectiveSpec"] = (spec) => withOverrides(spec, overrides)
  const leaseMillis = millis(settings.lease)

  // The queue named by each NOTIFY, and `undefined` after each (re)connection of the listener:
  // then every consumer looks, since notifications may have been missed meanwhile.
  const announcements = yield* PubSub.unbounded<string | undefined>()
  const pg = yield* Effect.serviceOption(PgClient.PgClient)
  if (Option.isSome(pg)) {
    yield* Effect.gen(function*() {
      const notifications = yield* pg.value.listen(notifyChannel)
      yield* PubSub.publish(announcements, undefined)
      yield* Stream.fromQueue(notifications).pipe(
        Stream.runForEach(({ payload }) => PubSub.publish(announcements, payload))
      )
    }).pipe(
      Effect.scoped,
      Effect.tapCause((cause) => Effect.logWarning("Queue LISTEN stopped; restarting", cause)),
      Effect.retry(Schedule.spaced("1 second")),
      Effect.forkScoped
    )
  }

  const insert = SqlSchema.void({
    Request: Schema.Struct({
      queue: Schema.String,
      messageId: Schema.String,
      body: Schema.Uint8Array,
      headers: Schema.String,
      delayMillis: Schema.Number
    }),
    execute: (row) =>
      sql`
        WITH inserted AS (
          INSERT INTO queue_messages (queue, message_id, body, headers, available_at)
          VALUES (${row.queue}, ${row.messageId}, ${row.body}, ${row.headers}::jsonb,
                  now() + ${row.delayMillis} * interval '1 millisecond')
          RETURNING queue)
        SELECT pg_notify(${notifyChannel}, queue) FROM inserted`
  })

  /** A message to `<name>_retry` goes back to `<name>` once the queue's retry delay has passed. */
  const destination = (queue: string) => {
    const retried = allQueues.find((spec) => retryQueueName(spec.name) === queue)
    return retried === undefined
      ? { queue, delayMillis: 0 }
      : { queue: retried.name, delayMillis: millis(effectiveSpec(retried).retryDelay) }
  }

  const publish = Effect.fn("Broker.publish")(function*(message: OutgoingMessage) {
    yield* Effect.annotateCurrentSpan({
      "messaging.destination.name": message.queue,
      "messaging.message.id": message.messageId
    })
    yield* insert({
      ...destination(message.queue),
      messageId: message.messageId,
      body: typeof message.body === "string" ? Buffer.from(message.body, "utf8") : message.body,
      headers: JSON.stringify(message.headers ?? {})
    }).pipe(
      Effect.mapError((error) => new PublishFailed({ queue: message.queue, reason: `not stored: ${error.message}` }))
    )
  })

  // One statement, so the row locks last only as long as it runs.
  const lease = SqlSchema.findAll({
    Request: Schema.Struct({ queue: Schema.String, limit: Schema.Int }),
    Result: LeasedRow,
    execute: ({ limit, queue }) =>
      sql`
        UPDATE queue_messages SET available_at = now() + ${leaseMillis} * interval '1 millisecond',
               deliveries = deliveries + 1
        WHERE id IN (
          SELECT id FROM queue_messages
          WHERE queue = ${queue} AND available_at <= now()
          ORDER BY available_at, sequence
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING id, message_id, body, headers`
  })

  /** Milliseconds until the queue's next row is due (negative when one is), `null` when it is empty. */
  const nextDue = SqlSchema.findOne({
    Request: Schema.String,
    Result: Schema.Struct({ dueInMs: Schema.NullOr(Schema.Number) }),
    execute: (queue) =>
      sql`
        SELECT ceil(extract(epoch FROM min(available_at) - now()) * 1000)::int AS due_in_ms
        FROM queue_messages WHERE queue = ${queue}`
  })

  const remove = SqlSchema.void({
    Request: Schema.String,
    execute: (id) => sql`DELETE FROM queue_messages WHERE id = ${id}`
  })

  const release = SqlSchema.void({
    Request: Schema.String,
    execute: (id) => sql`UPDATE queue_messages SET available_at = now() WHERE id = ${id}`
  })

  const settle = (queue: string, row: LeasedRow, settlement: Settlement) =>
    (settlement === "ack" ? remove(row.id) : release(row.id)).pipe(
      // The lease then ends on its own and the row is delivered again (handled once by message id).
      Effect.catchCause((cause) => Effect.logWarning(`Could not settle a message of ${queue}`, cause))
    )

  const deliveryOf = (row: LeasedRow): Delivery => ({
    body: row.body,
    messageId: row.messageId ?? undefined,
    headers: row.headers
  })

  const consume = <R>(
    queue: string,
    options: ConsumeOptions,
    handle: (delivery: Delivery) => Effect.Effect<Settlement, never, R>
  ) =>
    Effect.gen(function*() {
      const wakeUps = yield* Queue.sliding<void>(1)
      const wake = Queue.offer(wakeUps, undefined)
      const subscription = yield* PubSub.subscribe(announcements)
      yield* PubSub.take(subscription).pipe(
        Effect.flatMap((announced) => announced === undefined || announced === queue ? wake : Effect.void),
        Effect.forever,
        Effect.forkScoped
      )
      // Closing the scope interrupts the handlers, which finish first: each runs uninterruptibly.
      const handlers = yield* FiberSet.make<void, never>()
      let inHand = 0

      const deliver = (row: LeasedRow) =>
        handle(deliveryOf(row)).pipe(
          Effect.flatMap((settlement) => settle(queue, row, settlement)),
          Effect.uninterruptible,
          Effect.ensuring(Effect.suspend(() => {
            inHand--
            return wake
          }))
        )

      const round = Effect.gen(function*() {
        const free = options.concurrency - inHand
        const rows = free > 0 ? yield* lease({ queue, limit: Math.min(free, options.prefetch) }) : []
        for (const row of rows) {
          inHand++
          yield* FiberSet.run(handlers, deliver(row))
        }
        if (rows.length > 0 && inHand < options.concurrency) return
        const { dueInMs } = free > 0 ? yield* nextDue(queue) : { dueInMs: null }
        const waitMillis = dueInMs === null ? pollMillis : Math.min(Math.max(dueInMs, 0), pollMillis)
        yield* Queue.take(wakeUps).pipe(Effect.timeoutOrElse({ duration: waitMillis, orElse: () => Effect.void }))
      }).pipe(
        Effect.catchCause((cause) =>
          Effect.logWarning(`Consumer of ${queue} could not read its queue; retrying`, cause).pipe(
            Effect.andThen(Effect.sleep("1 second"))
          )
        )
      )
      return yield* Effect.forever(round)
    }).pipe(Effect.scoped)

  const countByQueue = SqlSchema.findAll({
    Request: Schema.Array(Schema.String),
    Result: Schema.Struct({ queue: Schema.String, messages: Schema.Int }),
    execute: (queues) =>
      sql`SELECT queue, count(*)::int AS messages FROM queue_messages WHERE queue IN ${sql.in(queues)} GROUP BY queue`
  })

  /** Rows of a retry queue are stored under their main queue (due later), so a retry queue counts none. */
  const messageCounts = Effect.fn("Broker.messageCounts")(function*(queues: ReadonlyArray<string>) {
    const rows = queues.length === 0 ? [] : yield* countByQueue(queues).pipe(
      Effect.mapError((error) => new QueueDepthsUnavailable({ reason: error.message }))
    )
    const counted = new Map(rows.map((row) => [row.queue, row.messages]))
    return new Map(queues.map((queue) => [queue, counted.get(queue) ?? 0]))
  })

  return {
    publish,
    consume,
    readiness: Stream.make(undefined),
    isReady: Effect.succeed(true),
    messageCounts,
    effectiveSpec
  } satisfies MessageTransport
})
