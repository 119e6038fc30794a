/**
 * A RabbitMQ outage of 30 seconds while writes keep arriving: the outbox accepts every write,
 * and once the broker is back every message is delivered. The outage is a TCP proxy the test
 * cuts; the machine's RabbitMQ, which other test files use, stays up.
 */
import { DatabaseLive } from "@cuebx/db"
import { makeTcpProxy, TestEnvironment, TestInfra, TestSettings } from "@cuebx/testing"
import { assert, it } from "@effect/vitest"
import * as Amqp from "amqplib"
import { Effect, Layer, Schedule, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { Broker } from "../src/Broker.ts"
import { BrokerConnection } from "../src/BrokerConnection.ts"
import { messageType } from "../src/MessageType.ts"
import { Outbox, OutboxRelay } from "../src/Outbox.ts"
import { allQueueNames, Queues } from "../src/Queues.ts"

const Order = Schema.Struct({ n: Schema.Number })
const orderMessage = messageType(Queues.usageCommits, Order)

/** Counts the distinct message ids reaching the queue (declared by the broker), over a direct connection. */
const countDeliveries = (rabbitmqUrl: string, queue: string, seen: Set<string>) =>
  Effect.gen(function*() {
    const connection = yield* Effect.acquireRelease(
      Effect.promise(() => Amqp.connect(rabbitmqUrl)),
      (connection) => Effect.promise(() => connection.close().catch(() => undefined))
    )
    const channel = yield* Effect.promise(() => connection.createChannel())
    yield* Effect.promise(() =>
      channel.consume(queue, (message) => {
        if (message === null) return
        seen.add(String(message.properties.messageId))
        channel.ack(message)
      })
    )
  })

it.live(
  "loses no message and fails no write while RabbitMQ is unreachable for 30 seconds",
  () =>
    Effect.gen(function*() {
      // Read before the programs' configuration (which points RabbitMQ at the proxy) is installed.
      const { rabbitmqUrl } = yield* TestSettings
      const rabbit = yield* makeTcpProxy({ host: "127.0.0.1", port: 5672 })
      const infra = TestInfra.layer({
        env: { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${rabbit.port}`, RABBITMQ_RECONNECT_MAX_DELAY: "2 seconds" },
        queues: allQueueNames()
      })
      const Relay = OutboxRelay.layerRunning.pipe(
        Layer.provideMerge(Layer.mergeAll(OutboxRelay.layer, Outbox.layer)),
        Layer.provideMerge(Broker.layer),
        Layer.provideMerge(BrokerConnection.layer),
        Layer.provideMerge(DatabaseLive),
        Layer.provideMerge(infra)
      )
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const outbox = yield* Outbox
        const broker = yield* Broker
        const { queueSuffix } = yield* TestEnvironment
        yield* sql`CREATE TABLE orders (n int PRIMARY KEY)`
        yield* broker.isReady.pipe(Effect.repeat({ until: (ready) => ready, schedule: Schedule.spaced("50 millis") }))

        const delivered = new Set<string>()
        yield* countDeliveries(rabbitmqUrl, `usage_commits${queueSuffix}`, delivered)

        const written: Array<string> = []
        let failedWrites = 0
        const write = (n: number) =>
          sql.withTransaction(Effect.gen(function*() {
            yield* sql`INSERT INTO orders (n) VALUES (${n})`
            return yield* outbox.enqueue(orderMessage, { n })
          })).pipe(
            Effect.map((messageId) => written.push(messageId)),
            Effect.catchCause(() => Effect.sync(() => failedWrites++))
          )

        let n = 0
        const writeEvery100ms = (seconds: number) =>
          Effect.suspend(() => write(n++)).pipe(
            Effect.andThen(Effect.sleep("100 millis")),
            Effect.repeat({ times: seconds * 10 - 1 })
          )

        yield* writeEvery100ms(2)
        rabbit.cut()
        yield* writeEvery100ms(30)
        const duringOutage = delivered.size
        rabbit.restore()
        yield* writeEvery100ms(2)

        yield* Effect.sync(() => delivered.size).pipe(
          Effect.repeat({ until: (count) => count >= written.length, schedule: Schedule.spaced("200 millis") }),
          Effect.timeout("45 seconds")
        )
        assert.strictEqual(failedWrites, 0)
        assert.strictEqual(written.length, 340)
        assert.isBelow(duringOutage, written.length)
        assert.deepStrictEqual([...delivered].toSorted(), [...written].toSorted())
        const [pending] = yield* sql<
          { readonly n: bigint }
        >`SELECT count(*) AS n FROM outbox_messages WHERE published_at IS NULL`
        assert.strictEqual(pending!.n, 0n)
      }).pipe(Effect.provide(Relay))
    }),
  { timeout: 120_000 }
)
