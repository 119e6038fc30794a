/**
 * The reference's messaging weaknesses, each pinned: a failed republish never loses the message
 * (W17), main queues dead-letter broker-side (W17), one long-lived publish channel instead of one
 * per publish (W18), and one trace from the publisher to the consumer.
 */
import { DatabaseLive } from "@cuebx/db"
import { tracingToExporter } from "@cuebx/observability"
import { TestEnvironment, TestInfra, TestSettings } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import * as Amqp from "amqplib"
import { Effect, Layer, Option, Schedule, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { Broker, PublishFailed } from "../src/Broker.ts"
import { BrokerConnection } from "../src/BrokerConnection.ts"
import { queueHandler, runConsumers } from "../src/Consumers.ts"
import { messageType } from "../src/MessageType.ts"
import { Outbox, OutboxRelay } from "../src/Outbox.ts"
import { allQueueNames, Queues } from "../src/Queues.ts"

const Ping = Schema.Struct({ key: Schema.String, fail: Schema.Boolean })
const pingMessage = messageType(Queues.careerUsageCommits, Ping)

const attempts = new Map<string, Array<number>>()
const pingHandler = queueHandler(pingMessage, (ping, context) =>
  Effect.gen(function*() {
    attempts.set(ping.key, [...(attempts.get(ping.key) ?? []), context.attempt])
    if (ping.fail && context.attempt === 0) return yield* Effect.fail(new Error("first attempt fails"))
  }).pipe(Effect.withSpan("ping handler")))

/** Fails the first `n` publishes to retry queues, as a broken channel would. */
let failRetryPublishes = 0
const FlakyRetryPublishing = Layer.effect(
  Broker,
  Effect.gen(function*() {
    const broker = yield* Broker
    return Broker.of({
      ...broker,
      publish: (message) =>
        message.queue.endsWith("_retry") && failRetryPublishes > 0
          ? Effect.sync(() => failRetryPublishes--).pipe(
            Effect.andThen(Effect.fail(new PublishFailed({ queue: message.queue, reason: "the channel broke" })))
          )
          : broker.publish(message)
    })
  })
)

const exporter = new InMemorySpanExporter()

const ReliabilityLive = Layer.mergeAll(runConsumers([pingHandler]), OutboxRelay.layerRunning).pipe(
  Layer.provide(FlakyRetryPublishing),
  Layer.provideMerge(Layer.mergeAll(OutboxRelay.layer, Outbox.layer)),
  Layer.provideMerge(Broker.layerConnected),
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(TestInfra.layer({ env: { QUEUE_RETRY_DELAY: "200 millis" }, queues: allQueueNames() })),
  Layer.provide(tracingToExporter(exporter, "reliability-test"))
)

const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, until: (value: A) => boolean) =>
  check.pipe(Effect.repeat({ until, schedule: Schedule.spaced("100 millis") }), Effect.timeout("20 seconds"))

const enqueue = (ping: typeof Ping.Type) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    return yield* sql.withTransaction(outbox.enqueue(pingMessage, ping))
  })

layer(ReliabilityLive, { excludeTestServices: true })("reliability", (it) => {
  it.effect("a message whose retry cannot be published is redelivered, not lost (W17)", () =>
    Effect.gen(function*() {
      failRetryPublishes = 2
      yield* enqueue({ key: "republish", fail: true })
      const seen = yield* eventually(Effect.sync(() => attempts.get("republish") ?? []), (list) => list.includes(1))
      // Two deliveries failed to reach the retry queue and were put back; the third made it.
      assert.deepStrictEqual(seen, [0, 0, 0, 1])
    }))

  it.effect("main queues dead-letter broker-side: a message rejected by any consumer is kept (W17)", () =>
    Effect.gen(function*() {
      const broker = yield* Broker
      const { queueSuffix } = yield* TestEnvironment
      yield* broker.publish({
        queue: "stripe_payment_failed",
        body: "{\"event_id\":\"evt_1\"}",
        messageId: "rejected-1"
      })
      const { rabbitmqUrl } = yield* TestSettings
      const deadLettered = yield* Effect.promise(async () => {
        const connection = await Amqp.connect(rabbitmqUrl)
        try {
          const channel = await connection.createChannel()
          let message: Amqp.GetMessage | false = false
          for (let tries = 0; tries < 50 && message === false; tries++) {
            message = await channel.get(`stripe_payment_failed${queueSuffix}`)
            if (message === false) await new Promise((resolve) => setTimeout(resolve, 100))
          }
          if (message === false) return false
          channel.nack(message, false, false)
          for (let tries = 0; tries < 50; tries++) {
            const dead = await channel.get(`stripe_payment_failed_dead${queueSuffix}`, { noAck: true })
            if (dead !== false) return dead.properties.messageId === "rejected-1" && dead.properties.deliveryMode === 2
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
          return false
        } finally {
          await connection.close()
        }
      })
      assert.isTrue(deadLettered)
    }))

  it.effect("stamps each message with the time of the program's Clock", () =>
    Effect.gen(function*() {
      const broker = yield* Broker
      const { queueSuffix } = yield* TestEnvironment
      const { rabbitmqUrl } = yield* TestSettings
      const at = Date.parse("2030-01-02T03:04:05.678Z")
      yield* Effect.gen(function*() {
        yield* TestClock.setTime(at)
        yield* broker.publish({ queue: "stripe_checkout_completed", body: "{}", messageId: "clocked" })
      }).pipe(Effect.provide(TestClock.layer()))
      const stamped = yield* Effect.promise(async () => {
        const connection = await Amqp.connect(rabbitmqUrl)
        try {
          const channel = await connection.createChannel()
          for (let tries = 0; tries < 50; tries++) {
            const message = await channel.get(`stripe_checkout_completed${queueSuffix}`, { noAck: true })
            if (message !== false) return message.properties.timestamp as number
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
          return undefined
        } finally {
          await connection.close()
        }
      })
      assert.strictEqual(stamped, Math.floor(at / 1000))
    }))

  it.effect("publishing uses one long-lived confirm channel, not one per message (W18)", () =>
    Effect.gen(function*() {
      const broker = yield* Broker
      const connection = Option.getOrThrow(yield* (yield* BrokerConnection).current)
      const openChannels = () =>
        (connection as unknown as { readonly connection: { readonly channels: ReadonlyArray<unknown> } })
          .connection.channels.filter((channel) => channel !== null && channel !== undefined).length
      const before = openChannels()
      yield* Effect.forEach(
        Array.from({ length: 50 }, (_, n) => n),
        (n) => broker.publish({ queue: "stripe_subscription_deleted", body: "{}", messageId: `channel-${n}` }),
        { concurrency: 10, discard: true }
      )
      assert.strictEqual(openChannels(), before)
    }))

  it.effect("the consumer's span continues the publisher's trace", () =>
    Effect.gen(function*() {
      const publisher = yield* Effect.currentSpan
      yield* enqueue({ key: "traced", fail: false })
      yield* eventually(Effect.sync(() => attempts.get("traced")), (seen) => seen !== undefined)
      const handled = yield* eventually(
        Effect.sync(() =>
          exporter.getFinishedSpans().find((span) =>
            span.name === "ping handler" && span.spanContext().traceId === publisher.traceId
          )
        ),
        (span) => span !== undefined
      )
      assert.isDefined(handled)
      const consume = exporter.getFinishedSpans().find((span) =>
        span.name === "consume career_usage_commits" && span.spanContext().traceId === publisher.traceId
      )
      assert.isDefined(consume)
    }).pipe(Effect.withSpan("request")))
})
