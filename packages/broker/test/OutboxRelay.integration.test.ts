/**
 * The outbox relay against a real PostgreSQL and a scripted broker: rows are leased in one short
 * statement and published with no transaction open, other relays skip leased rows, a stalled
 * relay's rows are published by another once its lease runs out, and a failed publish backs off
 * while the rest of its batch is released at once.
 */
import { DatabaseLive } from "@cuebx/db"
import { TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Schedule, Schema, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { Broker, type OutgoingMessage, PublishFailed } from "../src/Broker.ts"
import { messageType } from "../src/MessageType.ts"
import { Outbox, OutboxRelay } from "../src/Outbox.ts"
import { Queues } from "../src/Queues.ts"

const Item = Schema.Struct({ n: Schema.Number })
const itemMessage = messageType(Queues.usageCommits, Item)

/** A broker whose every publish runs `behaviour`, recording the messages that went through. */
const scriptedBroker = (
  published: Array<OutgoingMessage>,
  behaviour: (message: OutgoingMessage) => Effect.Effect<void, PublishFailed> = () => Effect.void
) =>
  Layer.succeed(
    Broker,
    Broker.of({
      publish: (message) => behaviour(message).pipe(Effect.andThen(Effect.sync(() => published.push(message)))),
      consume: () => Effect.never,
      readiness: Stream.never,
      isReady: Effect.succeed(true),
      messageCounts: (queues) => Effect.succeed(new Map(queues.map((queue) => [queue, 0]))),
      effectiveSpec: (spec) => spec
    })
  )

const publishSlowly = () => Effect.sleep("5 millis")

/** A relay of its own (as another replica would run) over `broker`. */
const relayOver = (broker: Layer.Layer<Broker>) =>
  Layer.build(OutboxRelay.layer.pipe(Layer.provide(broker))).pipe(Effect.map(Context.get(OutboxRelay)))

const Infra = Outbox.layer.pipe(
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(TestInfra.layer({
    env: {
      OUTBOX_BATCH_SIZE: "10",
      OUTBOX_LEASE: "2 seconds",
      RABBITMQ_PUBLISH_CONNECT_TIMEOUT: "200 millis",
      RABBITMQ_CONFIRM_TIMEOUT: "300 millis"
    }
  }))
)

const enqueueItems = (count: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    yield* sql`DELETE FROM outbox_messages`
    return yield* Effect.forEach(
      Array.from({ length: count }, (_, n) => n),
      (n) => sql.withTransaction(outbox.enqueue(itemMessage, { n }))
    )
  })

interface OutboxRow {
  readonly messageId: string
  readonly attempts: number
  readonly lastError: string | null
  readonly published: boolean
  /** Milliseconds until the row is due (negative: due). */
  readonly dueInMs: number
}

const outboxRows = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<OutboxRow>`
    SELECT message_id, attempts, last_error, published_at IS NOT NULL AS published,
           (extract(epoch FROM available_at - now()) * 1000)::int AS due_in_ms
    FROM outbox_messages ORDER BY created_at`
})

const waitUntil = (check: () => boolean) =>
  Effect.sync(check).pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("20 millis") }),
    Effect.timeout("10 seconds")
  )

layer(Infra, { excludeTestServices: true })("the outbox relay", (it) => {
  it.effect("holds no transaction while it waits on RabbitMQ, and other relays skip its leased rows", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const ids = yield* enqueueItems(3)
      const gate = yield* Deferred.make<void>()
      const published: Array<OutgoingMessage> = []
      let attempts = 0
      const slow = yield* relayOver(
        scriptedBroker(published, () => Effect.sync(() => attempts++).pipe(Effect.andThen(Deferred.await(gate))))
      )
      const draining = yield* Effect.forkChild(slow.drain)
      yield* waitUntil(() => attempts === 1)

      // The first publish is waiting for its confirm: no transaction is open anywhere.
      const [open] = yield* sql<{ readonly n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'`
      assert.strictEqual(open!.n, 0)
      const leased = yield* outboxRows
      assert.isTrue(leased.every((row) => !row.published && row.dueInMs > 1000))

      const other: Array<OutgoingMessage> = []
      const fast = yield* relayOver(scriptedBroker(other))
      assert.strictEqual(yield* fast.drain, 0)
      assert.deepStrictEqual(other, [])

      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(draining), 3)
      assert.deepStrictEqual(published.map((message) => message.messageId), ids)
      assert.isTrue((yield* outboxRows).every((row) => row.published))
    }))

  it.effect("a relay that stalls mid-batch loses nothing: its lease runs out and another relay publishes", () =>
    Effect.gen(function*() {
      const ids = yield* enqueueItems(4)
      const stalled: Array<OutgoingMessage> = []
      let attempts = 0
      const stuck = yield* relayOver(
        scriptedBroker(stalled, () => Effect.sync(() => attempts++).pipe(Effect.andThen(Effect.never)))
      )
      const hanging = yield* Effect.forkChild(stuck.drain)
      yield* waitUntil(() => attempts === 1)

      const published: Array<OutgoingMessage> = []
      const rescuer = yield* relayOver(scriptedBroker(published))
      assert.strictEqual(yield* rescuer.drain, 0)
      const total = yield* rescuer.drain.pipe(
        Effect.repeat({ until: (n) => n > 0, schedule: Schedule.spaced("100 millis") }),
        Effect.timeout("10 seconds")
      )
      assert.strictEqual(total, 4)
      assert.deepStrictEqual(published.map((message) => message.messageId), ids)
      assert.deepStrictEqual(stalled, [])

      // The stalled relay, once stopped, leaves the rows as the rescuer marked them.
      yield* Fiber.interrupt(hanging)
      assert.isTrue((yield* outboxRows).every((row) => row.published))
    }))

  it.effect("two relays draining at once publish every row exactly once", () =>
    Effect.gen(function*() {
      const ids = yield* enqueueItems(60)
      const published: Array<OutgoingMessage> = []
      const [a, b] = yield* Effect.all([
        relayOver(scriptedBroker(published, publishSlowly)),
        relayOver(scriptedBroker(published, publishSlowly))
      ])
      const [byA, byB] = yield* Effect.all([a.drain, b.drain], { concurrency: 2 })
      assert.strictEqual(byA + byB, 60)
      assert.deepStrictEqual(published.map((message) => message.messageId).toSorted(), ids.toSorted())
      assert.isTrue((yield* outboxRows).every((row) => row.published))
    }))

  it.effect("a failed publish backs off; the rest of its batch is released at once, not left leased", () =>
    Effect.gen(function*() {
      const ids = yield* enqueueItems(3)
      const published: Array<OutgoingMessage> = []
      const relay = yield* relayOver(scriptedBroker(published, (message) =>
        message.messageId === ids[1]
          ? Effect.fail(new PublishFailed({ queue: message.queue, reason: "the channel broke" }))
          : Effect.void))
      assert.strictEqual(yield* relay.drain, 1)
      const [first, failed, released] = yield* outboxRows
      assert.isTrue(first!.published)
      assert.deepStrictEqual([failed!.published, failed!.attempts, failed!.lastError], [
        false,
        1,
        "the channel broke"
      ])
      assert.isAbove(failed!.dueInMs, 500)
      assert.deepStrictEqual([released!.published, released!.attempts], [false, 0])
      assert.isAtMost(released!.dueInMs, 0)

      // The released row goes out with the next drain (the failed one is kept out of the way, so a
      // slow run cannot see its backoff end first).
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE outbox_messages SET available_at = now() + interval '1 hour' WHERE message_id = ${ids[1]!}`
      assert.strictEqual(yield* relay.drain, 1)
      assert.deepStrictEqual(published.map((message) => message.messageId), [ids[0], ids[2]])
    }))
})
