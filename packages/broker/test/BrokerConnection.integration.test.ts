import { makeTcpProxy, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Schedule, Stream } from "effect"
import { BrokerConnection, normaliseAmqpUrl } from "../src/BrokerConnection.ts"

it("reads the reference's RABBITMQ_URL with its trailing vhost slash", () => {
  assert.strictEqual(normaliseAmqpUrl("amqp://guest:guest@localhost:5672//"), "amqp://guest:guest@localhost:5672/%2F")
  assert.strictEqual(
    normaliseAmqpUrl("amqp://guest:guest@localhost:5672/cuebx"),
    "amqp://guest:guest@localhost:5672/cuebx"
  )
})

const waitUntil = (check: Effect.Effect<boolean>) =>
  check.pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout("15 seconds")
  )

layer(BrokerConnection.layer.pipe(Layer.provideMerge(TestInfra.layer())), { excludeTestServices: true })(
  "BrokerConnection",
  (it) => {
    it.effect("connects and suffixes queue names for isolation", () =>
      Effect.gen(function*() {
        const broker = yield* BrokerConnection
        const { queueSuffix } = yield* TestEnvironment
        yield* waitUntil(broker.isConnected)
        assert.strictEqual(broker.queueName("otp_emails"), `otp_emails${queueSuffix}`)
      }))
  }
)

it.live("reconnects after the connection is cut, and publishes each new connection", () =>
  Effect.gen(function*() {
    const proxy = yield* makeTcpProxy({ host: "127.0.0.1", port: 5672 })
    const broker = yield* BrokerConnection.layer.pipe(
      Layer.build,
      Effect.map((context) => context.mapUnsafe.get(BrokerConnection.key) as BrokerConnection["Service"]),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
        RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`
      })))
    )
    yield* waitUntil(broker.isConnected)
    const first = Option.getOrThrow(yield* broker.current)

    proxy.cut()
    yield* waitUntil(Effect.map(broker.isConnected, (connected) => !connected))
    proxy.restore()
    yield* waitUntil(broker.isConnected)

    const second = Option.getOrThrow(yield* broker.current)
    assert.notStrictEqual(second, first)
    assert.isAtLeast(proxy.connectionsAccepted(), 2)
    const latest = yield* broker.connections.pipe(Stream.take(1), Stream.runCollect)
    assert.strictEqual(latest[0], second)
  }))
