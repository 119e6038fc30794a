/**
 * The one RabbitMQ connection of a program. It connects in the background, reconnects with an
 * exponential backoff whenever the connection drops, and publishes each new connection so the
 * messaging layer can re-declare its topology and resume. It owns no channels or queues.
 */
import { developmentRabbitmqUrl } from "@cuebx/config"
import * as Amqp from "amqplib"
import { Config, Context, Duration, Effect, Layer, Option, Redacted, Schedule, Stream, SubscriptionRef } from "effect"
import { amqpCall, amqpQuietly } from "./AmqpCalls.ts"

export const BrokerSettings = Config.all({
  url: Config.Redacted("RABBITMQ_URL").pipe(Config.withDefault(Redacted.make(developmentRabbitmqUrl))),
  /** Appended to every queue name; tests use it to isolate their queues on a shared server. */
  queueSuffix: Config.String("RABBITMQ_QUEUE_SUFFIX").pipe(Config.withDefault("")),
  heartbeatSeconds: Config.Int("RABBITMQ_HEARTBEAT_SECONDS").pipe(Config.withDefault(30)),
  reconnectMaxDelay: Config.Duration("RABBITMQ_RECONNECT_MAX_DELAY").pipe(Config.withDefault(Duration.seconds(10)))
})
export type BrokerSettings = Config.Success<typeof BrokerSettings>

/** The reference's `amqp://guest:guest@localhost:5672//` names the vhost `/` with a trailing `//`. */
export const normaliseAmqpUrl = (url: string): string => url.replace(/\/\/$/, "/%2F")

// 200 ms, 400 ms, 800 ms ... capped, jittered, forever.
const reconnectSchedule = (maxDelay: Duration.Duration) =>
  Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced(maxDelay)]).pipe(Schedule.jittered)

const withHeartbeat = (url: string, seconds: number) => {
  const parsed = new URL(url)
  if (!parsed.searchParams.has("heartbeat")) parsed.searchParams.set("heartbeat", String(seconds))
  return parsed.toString()
}

const untilClosed = (connection: Amqp.ChannelModel) =>
  Effect.callback<void>((resume) => {
    connection.on("error", () => undefined)
    connection.once("close", () => resume(Effect.void))
  })

export class BrokerConnection extends Context.Service<BrokerConnection, {
  /** The live connection, if there is one right now. */
  readonly current: Effect.Effect<Option.Option<Amqp.ChannelModel>>
  /** Every connection as it is (re)established; starts with the current one, if any. */
  readonly connections: Stream.Stream<Amqp.ChannelModel>
  readonly isConnected: Effect.Effect<boolean>
  /** The physical name of a logical queue (adds `RABBITMQ_QUEUE_SUFFIX`). */
  queueName(logical: string): string
}>()("@cuebx/broker/BrokerConnection") {
  static readonly layerFromSettings = (settings: BrokerSettings) =>
    Layer.effect(
      BrokerConnection,
      Effect.gen(function*() {
        const url = withHeartbeat(normaliseAmqpUrl(Redacted.value(settings.url)), settings.heartbeatSeconds)
        const state = yield* SubscriptionRef.make(Option.none<Amqp.ChannelModel>())

        const connect = amqpCall(() => Amqp.connect(url)).pipe(
          Effect.tapError((cause) => Effect.logWarning("RabbitMQ connection failed; retrying", cause)),
          Effect.retry(reconnectSchedule(settings.reconnectMaxDelay))
        )
        // One session per connection: interruption (shutdown) closes it through the scope; a
        // connection the broker or the network closes starts the next session.
        const session = Effect.scoped(Effect.gen(function*() {
          const connection = yield* Effect.acquireRelease(
            connect,
            (c) => amqpQuietly(() => c.close())
          )
          yield* SubscriptionRef.set(state, Option.some(connection))
          yield* Effect.logInfo("RabbitMQ connected")
          yield* untilClosed(connection)
          yield* Effect.logWarning("RabbitMQ connection lost; reconnecting")
        })).pipe(Effect.ensuring(SubscriptionRef.set(state, Option.none())))
        yield* session.pipe(Effect.forever, Effect.forkScoped)

        const current = SubscriptionRef.get(state)
        return BrokerConnection.of({
          current,
          connections: SubscriptionRef.changes(state).pipe(Stream.filter(Option.isSome), Stream.map((c) => c.value)),
          isConnected: Effect.map(current, Option.isSome),
          queueName: (logical) => logical + settings.queueSuffix
        })
      })
    )

  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    return BrokerConnection.layerFromSettings(yield* BrokerSettings)
  }))
}
