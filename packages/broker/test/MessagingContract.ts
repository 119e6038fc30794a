/**
 * The messaging contract every transport keeps, run against each (RabbitMQ, and rows of
 * PostgreSQL) with the real PostgreSQL: outbox → relay → consumer, retries after the retry delay,
 * dead letters after the last retry or at once for a permanent failure (stored, alerted,
 * replayed, discarded), a handler run once per message id, nothing lost when a consumer's
 * process dies holding a message, and trace/request context in the headers.
 */
import { DatabaseLive } from "@cuebx/db"
import { RequestId } from "@cuebx/observability"
import { captureLogs, spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Clock, Context, Effect, Exit, Layer, Schedule, Schema, Scope } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { Broker } from "../src/Broker.ts"
import { type MessageContext, PermanentFailure, queueHandler, runConsumers } from "../src/Consumers.ts"
import {
  DeadLetter,
  type DeadLetterAlert,
  DeadLetterAlerts,
  DeadLetters,
  runDeadLetterConsumers
} from "../src/DeadLetters.ts"
import { messageType } from "../src/MessageType.ts"
import { Outbox, OutboxRelay } from "../src/Outbox.ts"
import { allQueueNames, Queues } from "../src/Queues.ts"
import { heldMessage } from "./support/HeldMessage.ts"

const Probe = Schema.Struct({
  key: Schema.String,
  scenario: Schema.Literals(["ok", "fail-twice", "always-fail", "permanent"])
})
const probeMessage = messageType(Queues.usageCommits, Probe)

interface Seen extends MessageContext {
  /** When the handler ran, on the Clock. */
  readonly at: number
}

/** What the test handler saw, in memory, per key. */
class Deliveries extends Context.Service<Deliveries, Map<string, Array<Seen>>>()("test/Deliveries") {}
class Alerts extends Context.Service<Alerts, Array<DeadLetterAlert>>()("test/Alerts") {}

const probeHandler = queueHandler(probeMessage, (probe, context) =>
  Effect.gen(function*() {
    const deliveries = yield* Deliveries
    const at = yield* Clock.currentTimeMillis
    deliveries.set(probe.key, [...(deliveries.get(probe.key) ?? []), { ...context, at }])
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO probe_effects (key, attempt) VALUES (${probe.key}, ${context.attempt})`
    switch (probe.scenario) {
      case "fail-twice":
        if (context.attempt < 2) return yield* Effect.fail(new Error(`transient failure ${context.attempt}`))
        return
      case "always-fail":
        return yield* Effect.fail(new Error("upstream is down"))
      case "permanent":
        return yield* new PermanentFailure({ reason: "the upstream refused it" })
    }
  }))

const ProbeTable = Layer.effectDiscard(Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE probe_effects (key text NOT NULL, attempt int NOT NULL, at timestamptz NOT NULL DEFAULT now())`
}))

const deliveries = new Map<string, Array<Seen>>()
const alerts: Array<DeadLetterAlert> = []
const logs = captureLogs()

/** Every attempt of the dead-letter consumers to store a message, by message id, as it ended. */
const storeAttempts: Array<{ readonly messageId: string; readonly stored: boolean }> = []
const RecordedStores = Layer.effect(
  DeadLetters,
  Effect.gen(function*() {
    const deadLetters = yield* DeadLetters
    return DeadLetters.of({
      ...deadLetters,
      store: (queue, delivery) =>
        deadLetters.store(queue, delivery).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() =>
              storeAttempts.push({ messageId: String(delivery.messageId), stored: Exit.isSuccess(exit) })
            )
          )
        )
    })
  })
)

const storeAttemptsOf = (messageId: string) => storeAttempts.filter((attempt) => attempt.messageId === messageId)

const retryDelayMillis = 400

const messagingLayer = <E>(transport: Layer.Layer<Broker, E, SqlClient.SqlClient>) =>
  Layer.mergeAll(
    runConsumers([probeHandler]),
    runDeadLetterConsumers.pipe(Layer.provide(RecordedStores)),
    OutboxRelay.layerRunning
  ).pipe(
    Layer.provideMerge(Layer.mergeAll(OutboxRelay.layer, DeadLetters.layer, Outbox.layer)),
    Layer.provideMerge(transport),
    Layer.provide(
      Layer.succeed(DeadLetterAlerts, DeadLetterAlerts.of({ notify: (alert) => Effect.sync(() => alerts.push(alert)) }))
    ),
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(Deliveries, deliveries), Layer.succeed(Alerts, alerts))),
    Layer.provideMerge(ProbeTable),
    Layer.provideMerge(DatabaseLive),
    Layer.provideMerge(TestInfra.layer({
      env: { QUEUE_RETRY_DELAY: `${retryDelayMillis} millis`, QUEUE_LEASE: "2 seconds" },
      queues: allQueueNames()
    })),
    Layer.provide(logs.layer)
  )

const eventually = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  until: (value: A) => boolean,
  timeout: `${number} seconds` = "20 seconds"
) =>
  check.pipe(
    Effect.repeat({ until, schedule: Schedule.spaced("100 millis") }),
    Effect.timeout(timeout)
  )

const publishProbe = (probe: typeof Probe.Type) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    return yield* sql.withTransaction(outbox.enqueue(probeMessage, probe))
  })

const effectsOf = (key: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<
      { readonly attempt: number }
    >`SELECT attempt FROM probe_effects WHERE key = ${key} ORDER BY attempt`
  })

const deadLetterOf = (messageId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const row = yield* SqlSchema.findOneOption({
      Request: Schema.String,
      Result: DeadLetter,
      execute: (id) => sql`SELECT * FROM dlq_messages WHERE message_id = ${id}`
    })(messageId)
    return row._tag === "Some" ? row.value : undefined
  })

/**
 * Runs the contract on `transport`; `kind` names it to the child program that dies holding a
 * message (`support/HeldMessage.ts`).
 */
export const messagingContract = <E>(
  name: string,
  transport: Layer.Layer<Broker, E, SqlClient.SqlClient>,
  kind: "rabbitmq" | "database"
) =>
  layer(messagingLayer(transport), { excludeTestServices: true })(`messaging over ${name}`, (it) => {
    describe("idle", () => {
      it.effect("consumers with nothing to do wait instead of polling the database in a loop", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const committed = sql<{ readonly n: number }>`
          SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()`.pipe(
            Effect.map(([row]) => row!.n)
          )
          const before = yield* committed
          yield* Effect.sleep("2 seconds")
          // 14 consumers and a relay wake up a few times a second at most; a busy loop makes thousands.
          assert.isBelow((yield* committed) - before, 200)
        }))
    })

    describe("publish → handle", () => {
      it.effect("a message enqueued in a transaction is relayed and handled once", () =>
        Effect.gen(function*() {
          const messageId = yield* publishProbe({ key: "happy", scenario: "ok" })
          const effects = yield* eventually(effectsOf("happy"), (rows) => rows.length > 0)
          assert.deepStrictEqual(effects.map((row) => row.attempt), [0])
          const handled = deliveries.get("happy")!
          assert.strictEqual(handled[0]!.messageId, messageId)
          const sql = yield* SqlClient.SqlClient
          const [outboxRow] = yield* sql<{ readonly publishedAt: Date | null }>`
          SELECT published_at FROM outbox_messages WHERE message_id = ${messageId}`
          assert.isNotNull(outboxRow!.publishedAt)
        }))

      it.effect("counts the messages waiting in a queue nobody consumes, and none in an empty one", () =>
        Effect.gen(function*() {
          const broker = yield* Broker
          for (const n of [1, 2]) {
            yield* broker.publish({ queue: Queues.otpEmails.name, body: `{"n":${n}}`, messageId: crypto.randomUUID() })
          }
          const counts = yield* eventually(
            broker.messageCounts([Queues.otpEmails.name, Queues.paymentFailedEmails.name]),
            (found) => found.get(Queues.otpEmails.name) === 2
          )
          assert.deepStrictEqual([...counts], [[Queues.otpEmails.name, 2], [Queues.paymentFailedEmails.name, 0]])
        }))

      it.effect("nothing is published when the transaction rolls back", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const outbox = yield* Outbox
          yield* sql.withTransaction(
            outbox.enqueue(probeMessage, { key: "rolled-back", scenario: "ok" }).pipe(
              Effect.andThen(Effect.fail("the domain write failed"))
            )
          ).pipe(Effect.ignore)
          yield* publishProbe({ key: "after-rollback", scenario: "ok" })
          yield* eventually(effectsOf("after-rollback"), (rows) => rows.length > 0)
          assert.isUndefined(deliveries.get("rolled-back"))
          const [count] = yield* sql<{ readonly n: bigint }>`
          SELECT count(*) AS n FROM outbox_messages WHERE payload->>'key' = 'rolled-back'`
          assert.strictEqual(count!.n, 0n)
        }))

      it.effect("carries the request id and the trace of the publisher to the consumer", () =>
        Effect.gen(function*() {
          const span = yield* Effect.currentSpan
          yield* publishProbe({ key: "traced", scenario: "ok" }).pipe(Effect.provideService(RequestId, "req-traced-1"))
          yield* eventually(Effect.sync(() => deliveries.get("traced")), (seen) => seen !== undefined)
          const headers = deliveries.get("traced")![0]!.headers
          assert.strictEqual(headers["x-request-id"], "req-traced-1")
          assert.match(
            String(headers["traceparent"]),
            new RegExp(`^00-${span.traceId.padStart(32, "0")}-[0-9a-f]{16}-0[01]$`)
          )
        }).pipe(Effect.withSpan("publisher")))
    })

    describe("retries and dead letters", () => {
      it.effect("a transient failure is retried through the retry queue until it succeeds", () =>
        Effect.gen(function*() {
          const messageId = yield* publishProbe({ key: "flaky", scenario: "fail-twice" })
          yield* eventually(Effect.sync(() => deliveries.get("flaky")?.length ?? 0), (n) => n >= 3)
          const attempts = deliveries.get("flaky")!
          assert.deepStrictEqual(attempts.map((context) => context.attempt), [0, 1, 2])
          // Each retry waited for the retry delay (QUEUE_RETRY_DELAY) before it ran.
          assert.isAtLeast(attempts[1]!.at - attempts[0]!.at, retryDelayMillis - 50)
          assert.isAtLeast(attempts[2]!.at - attempts[1]!.at, retryDelayMillis - 50)
          // The failed attempts rolled back their writes: the effect happened once.
          assert.deepStrictEqual((yield* effectsOf("flaky")).map((row) => row.attempt), [2])
          assert.isUndefined(yield* deadLetterOf(messageId))
        }))

      it.effect("after the last retry the message is dead-lettered, stored and alerted about", () =>
        Effect.gen(function*() {
          const messageId = yield* publishProbe({ key: "doomed", scenario: "always-fail" })
          const row = yield* eventually(deadLetterOf(messageId), (found) => found !== undefined, "30 seconds")
          assert.deepStrictEqual(deliveries.get("doomed")!.map((context) => context.attempt), [0, 1, 2, 3])
          assert.strictEqual(row!.queueName, "usage_commits_dead")
          assert.strictEqual(row!.originalQueue, "usage_commits")
          assert.strictEqual(row!.status, "pending")
          assert.strictEqual(row!.attemptCount, 3)
          assert.strictEqual(row!.errorMessage, "upstream is down")
          assert.deepStrictEqual(JSON.parse(row!.messageBody), { key: "doomed", scenario: "always-fail" })
          const alert = yield* eventually(
            Effect.sync(() => alerts.find((candidate) => candidate.messageBody.includes("doomed"))),
            (found) => found !== undefined
          )
          assert.strictEqual(alert!.queue, "usage_commits_dead")
          assert.strictEqual(alert!.attemptCount, 3)
        }))

      it.effect("a permanent failure goes to the dead letters at once", () =>
        Effect.gen(function*() {
          const messageId = yield* publishProbe({ key: "refused", scenario: "permanent" })
          const row = yield* eventually(deadLetterOf(messageId), (found) => found !== undefined)
          assert.strictEqual(deliveries.get("refused")!.length, 1)
          assert.strictEqual(row!.attemptCount, 0)
          assert.strictEqual(row!.errorMessage, "the upstream refused it")
        }))

      it.effect("poison messages (not JSON, or not the payload) are not retried", () =>
        Effect.gen(function*() {
          const broker = yield* Broker
          yield* broker.publish({ queue: "usage_commits", body: "{not json", messageId: "poison-json" })
          yield* broker.publish({
            queue: "usage_commits",
            body: JSON.stringify({ key: 1 }),
            messageId: "poison-payload"
          })
          const notJson = yield* eventually(deadLetterOf("poison-json"), (found) => found !== undefined)
          const badPayload = yield* eventually(deadLetterOf("poison-payload"), (found) => found !== undefined)
          assert.strictEqual(notJson!.attemptCount, 0)
          assert.strictEqual(notJson!.errorMessage, "the body is not valid JSON")
          assert.strictEqual(notJson!.messageBody, "{not json")
          assert.match(badPayload!.errorMessage!, /^invalid payload/)
        }))
    })

    describe("idempotency", () => {
      it.effect("a message delivered twice has its effect once", () =>
        Effect.gen(function*() {
          const broker = yield* Broker
          const body = JSON.stringify({ key: "twice", scenario: "ok" })
          yield* broker.publish({ queue: "usage_commits", body, messageId: "same-message-id" })
          yield* broker.publish({ queue: "usage_commits", body, messageId: "same-message-id" })
          // The second delivery is acknowledged without running the handler, and says so.
          yield* eventually(
            Effect.sync(() =>
              logs.lines.filter((line) =>
                line.annotations["message_id"] === "same-message-id" &&
                String(line.message).includes("already handled")
              ).length
            ),
            (dropped) => dropped > 0
          )
          assert.strictEqual((yield* effectsOf("twice")).length, 1)
          assert.strictEqual(deliveries.get("twice")!.length, 1)
        }))
    })

    describe("crashes", () => {
      it.effect("a consumer that dies holding a message loses nothing: it is handled once, later", () =>
        Effect.gen(function*() {
          const broker = yield* Broker
          const { env } = yield* TestEnvironment
          const messageId = crypto.randomUUID()
          yield* broker.publish({ queue: heldMessage.queue.name, body: JSON.stringify({ key: "held" }), messageId })
          const holder = yield* spawnProgram("packages/broker/test/support/HeldMessage.ts", {
            ...env,
            TEST_TRANSPORT: kind
          })
          yield* holder.waitForOutput(`holding ${messageId}`)
          holder.process.kill("SIGKILL")
          yield* holder.exited

          // A consumer of this process takes over the queue: the message comes to it, once.
          const handled: Array<MessageContext> = []
          const scope = yield* Scope.make()
          yield* Layer.buildWithScope(
            runConsumers([queueHandler(heldMessage, (_, context) => Effect.sync(() => void handled.push(context)))]),
            scope
          )
          yield* eventually(Effect.sync(() => handled.length), (n) => n > 0, "30 seconds")
          assert.deepStrictEqual(handled.map((context) => [context.messageId, context.attempt]), [[messageId, 0]])
          yield* Scope.close(scope, Exit.void)
          const sql = yield* SqlClient.SqlClient
          const records = yield* sql`SELECT 1 FROM processed_messages WHERE message_id = ${messageId}`
          assert.lengthOf(records, 1)
        }))
    })

    describe("operating dead letters", () => {
      it.effect("replay publishes the body verbatim to the main queue, then marks the row; twice is refused", () =>
        Effect.gen(function*() {
          const deadLetters = yield* DeadLetters
          const broker = yield* Broker
          const body = "{\"key\":\"replayed\",  \"scenario\":\"ok\"}"
          yield* broker.publish({
            queue: "usage_commits_dead",
            body,
            messageId: "to-replay",
            headers: { "x-error-message": "it failed", "x-original-queue": "usage_commits", "x-retry-attempt": 3 }
          })
          const row = yield* eventually(deadLetterOf("to-replay"), (found) => found !== undefined)
          assert.strictEqual(row!.messageBody, body)

          const replayed = yield* deadLetters.replay(row!.id)
          assert.strictEqual(replayed.status, "retried")
          assert.isNotNull(replayed.retriedAt)
          const delivered = yield* eventually(
            Effect.sync(() => deliveries.get("replayed")),
            (seen) => seen !== undefined
          )
          assert.strictEqual(delivered![0]!.attempt, 0)
          assert.strictEqual(delivered![0]!.headers["x-replayed-from"], row!.id)

          const again = yield* deadLetters.replay(row!.id).pipe(Effect.flip)
          assert.strictEqual(again._tag, "DeadLetterNotPending")
          const discarded = yield* deadLetters.discard(row!.id).pipe(Effect.flip)
          assert.strictEqual(discarded._tag, "DeadLetterNotPending")
        }))

      it.effect("discard marks a pending row; unknown ids are not found", () =>
        Effect.gen(function*() {
          const deadLetters = yield* DeadLetters
          const broker = yield* Broker
          yield* broker.publish({ queue: "usage_commits_dead", body: "{}", messageId: "to-discard" })
          const row = yield* eventually(deadLetterOf("to-discard"), (found) => found !== undefined)
          assert.strictEqual((yield* deadLetters.discard(row!.id)).status, "discarded")
          assert.strictEqual((yield* deadLetters.get(crypto.randomUUID()).pipe(Effect.flip))._tag, "DeadLetterNotFound")
          assert.strictEqual((yield* deadLetters.get("not-a-uuid").pipe(Effect.flip))._tag, "DeadLetterNotFound")
        }))

      it.effect("metrics count rows per queue and status", () =>
        Effect.gen(function*() {
          const deadLetters = yield* DeadLetters
          const metrics = yield* deadLetters.metrics
          const sum = metrics.items.reduce((total, item) => total + item.count, 0)
          assert.strictEqual(metrics.total, sum)
          assert.isTrue(metrics.items.every((item) => item.queueName.endsWith("_dead")))
          const listed = yield* deadLetters.list({ limit: 500, offset: 0 })
          assert.strictEqual(listed.total, metrics.total)
          const pending = yield* deadLetters.list({
            status: "pending",
            queue: "usage_commits_dead",
            limit: 500,
            offset: 0
          })
          assert.isTrue(pending.items.every((item) => item.status === "pending"))
        }))

      it.effect("a dead letter that cannot be stored stays in its queue until it can", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const broker = yield* Broker
          yield* sql`ALTER TABLE dlq_messages RENAME TO dlq_messages_away`
          yield* broker.publish({ queue: "usage_commits_dead", body: "{}", messageId: "stored-late" })
          // A store was attempted, failed, and the message came back for another attempt.
          yield* eventually(Effect.sync(() => storeAttemptsOf("stored-late")), (attempts) => attempts.length >= 2)
          yield* sql`ALTER TABLE dlq_messages_away RENAME TO dlq_messages`
          const row = yield* eventually(deadLetterOf("stored-late"), (found) => found !== undefined)
          assert.strictEqual(row!.status, "pending")
          const attempts = storeAttemptsOf("stored-late")
          assert.isAtLeast(attempts.length, 3)
          assert.isTrue(attempts.slice(0, 2).every((attempt) => !attempt.stored))
          assert.isTrue(attempts[attempts.length - 1]!.stored)
        }))
    })
  })
