/**
 * The message transport of a program (`Broker`), and its RabbitMQ implementation: on every
 * (re)connection it declares the whole topology (each queue triplet, durable) and opens one
 * long-lived confirm channel; `publish` waits for the broker's confirm, so a message counts as
 * sent only once RabbitMQ has it; each consumed queue gets its own channel on every session.
 * Without RabbitMQ, `layerDatabase` carries the same interface on PostgreSQL.
 */
import { Infrastructure } from "@cuebx/config"
import type * as Amqp from "amqplib"
import { Cause, Clock, Config, Context, Duration, Effect, Layer, Option, Queue, Stream, SubscriptionRef } from "effect"
import type { SqlClient } from "effect/sql"
import { amqpCall, amqpQuietly } from "./AmqpCalls.ts"
import { BrokerConnection } from "./BrokerConnection.ts"
import { makeDatabaseBroker } from "./DatabaseBroker.ts"
import {
  allQueues,
  deadLetterQueueName,
  type QueueSpec,
  retryQueueName,
  TopologyOverrides,
  withOverrides
} from "./Queues.ts"
import {
  type ConsumeOptions,
  type Delivery,
  type MessageTransport,
  type OutgoingMessage,
  PublishFailed,
  QueueDepthsUnavailable,
  type Settlement
} from "./Transport.ts"

export * from "./Transport.ts"

export const PublishSettings = Config.all({
  /** How long a publish waits for a connection before failing. */
  connectTimeout: Config.Duration("RABBITMQ_PUBLISH_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  /** How long a publish waits for the broker's confirm. */
  confirmTimeout: Config.Duration("RABBITMQ_CONFIRM_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))
})

/** Arguments of each queue of a triplet. */
export const queueDeclarations = (spec: QueueSpec, physical: (logical: string) => string) => [
  {
    // A message the consumer rejects without requeue still lands in the dead-letter queue.
    queue: physical(spec.name),
    arguments: {
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": physical(deadLetterQueueName(spec.name))
    }
  },
  {
    queue: physical(retryQueueName(spec.name)),
    arguments: {
      "x-message-ttl": Duration.toMillis(spec.retryDelay),
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": physical(spec.name)
    }
  },
  { queue: physical(deadLetterQueueName(spec.name)), arguments: {} }
]

/** A connection whose topology is declared, with its confirm channel for publishing. */
interface BrokerSession {
  readonly connection: Amqp.ChannelModel
  readonly publishChannel: Amqp.ConfirmChannel
}

const closeQuietly = (channel: Amqp.Channel) => amqpQuietly(() => channel.close())

/** A channel for the lifetime of the scope; its errors close it (watch `close`), never throw. */
const openChannel = (connection: Amqp.ChannelModel) =>
  Effect.acquireRelease(amqpCall(() => connection.createChannel()), closeQuietly).pipe(
    Effect.tap((channel) => Effect.sync(() => channel.on("error", () => undefined)))
  )

/** Resumes when the channel closes (its connection dropped, or the broker closed it). */
const untilChannelClosed = (channel: Amqp.Channel) =>
  Effect.callback<void>((resume) => {
    channel.once("close", () => resume(Effect.void))
  })

/** What amqplib threw, under `amqpCall`'s wrapping. */
const amqpErrorOf = (error: unknown): unknown => Cause.isUnknownError(error) ? error.cause : error

/** AMQP 406 PRECONDITION_FAILED: what RabbitMQ answers a declaration whose arguments differ. */
export const isPreconditionFailed = (error: unknown): boolean => {
  const cause = amqpErrorOf(error)
  return typeof cause === "object" && cause !== null && "code" in cause && cause.code === 406
}

/** RabbitMQ's own words for a failed call (`405 (RESOURCE-LOCKED) with message "..."`), or a timeout. */
const describeAmqpFailure = (error: unknown): string => {
  const cause = amqpErrorOf(error)
  return cause instanceof Error ? cause.message : String(cause)
}

/**
 * A channel for one declaration. RabbitMQ closes it when it refuses the declaration; amqplib then
 * emits `error` on it, which must be listened to, or it is thrown and takes the connection down.
 */
const declarationChannel = (connection: Amqp.ChannelModel) =>
  amqpCall(() => connection.createChannel()).pipe(
    Effect.tap((channel) => Effect.sync(() => channel.on("error", () => undefined)))
  )

/**
 * Declares a queue with its arguments. A queue that already exists with other arguments (the
 * Python service declared its main queues without a dead-letter exchange) is kept as it is, with
 * a warning: RabbitMQ refuses to change arguments, and deleting it would lose its messages. Any
 * other failure fails the session, which is then opened again.
 */
const declareQueue = (
  connection: Amqp.ChannelModel,
  declaration: { readonly queue: string; readonly arguments: Record<string, unknown> }
) =>
  Effect.acquireUseRelease(
    declarationChannel(connection),
    (channel) =>
      amqpCall(() => channel.assertQueue(declaration.queue, { durable: true, arguments: declaration.arguments })),
    closeQuietly
  ).pipe(
    Effect.catchIf(isPreconditionFailed, () =>
      Effect.acquireUseRelease(
        declarationChannel(connection),
        (channel) => amqpCall(() => channel.checkQueue(declaration.queue)),
        closeQuietly
      ).pipe(
        Effect.tap(() =>
          Effect.logWarning(
            `Queue ${declaration.queue} exists with other arguments; it is used as it is. ` +
              "Recreate it (once drained) to get broker-side dead-lettering."
          )
        )
      )),
    Effect.tapError((error) =>
      Effect.logWarning(`Could not declare queue ${declaration.queue}: ${describeAmqpFailure(error)}`)
    ),
    Effect.asVoid
  )

/** Header values as plain JSON (amqplib hands over Buffers and typed values). */
const plainHeaders = (headers: Amqp.MessagePropertyHeaders | undefined): Record<string, unknown> => {
  const plain = (value: unknown): unknown => {
    if (Buffer.isBuffer(value)) return value.toString("utf8")
    if (Array.isArray(value)) return value.map(plain)
    if (value instanceof Date) return value.toISOString()
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]))
    }
    return value
  }
  return Object.fromEntries(Object.entries(headers ?? {}).map(([key, value]) => [key, plain(value)]))
}

const deliveryOf = (message: Amqp.ConsumeMessage): Delivery => ({
  body: message.content,
  messageId: message.properties.messageId === undefined ? undefined : String(message.properties.messageId),
  headers: plainHeaders(message.properties.headers)
})

/**
 * Consumes one queue on its own channel of `connection` until the channel closes or the scope
 * does; at shutdown deliveries stop first, then the handlers finish what they hold.
 */
const consumeOnConnection = <R>(
  connection: Amqp.ChannelModel,
  physicalQueue: string,
  options: ConsumeOptions,
  handle: (delivery: Delivery) => Effect.Effect<Settlement, never, R>
) =>
  Effect.gen(function*() {
    const channel = yield* openChannel(connection)
    yield* amqpCall(() => channel.prefetch(options.prefetch))
    const deliveries = yield* Queue.unbounded<Amqp.ConsumeMessage>()
    const settle = (message: Amqp.ConsumeMessage, settlement: Settlement) =>
      Effect.sync(() => settlement === "ack" ? channel.ack(message) : channel.nack(message, false, true))
    yield* Effect.forEach(
      Array.from({ length: options.concurrency }),
      () =>
        Queue.take(deliveries).pipe(
          Effect.flatMap((message) =>
            handle(deliveryOf(message)).pipe(
              Effect.flatMap((settlement) => settle(message, settlement)),
              // A message being handled when shutdown starts is finished and settled, not abandoned.
              Effect.uninterruptible
            )
          ),
          Effect.forever,
          Effect.forkScoped
        ),
      { discard: true }
    )
    const { consumerTag } = yield* amqpCall(() =>
      channel.consume(physicalQueue, (message) => {
        if (message !== null) Queue.offerUnsafe(deliveries, message)
      }, { noAck: false })
    )
    // Runs first at shutdown: stop deliveries, then the workers finish what they hold.
    yield* Effect.addFinalizer(() => amqpQuietly(() => channel.cancel(consumerTag)))
    yield* untilChannelClosed(channel)
  }).pipe(Effect.scoped)

export class Broker extends Context.Service<Broker, MessageTransport>()("@cuebx/broker/Broker") {
  /** For a program that does not talk to RabbitMQ: every publish fails, nothing is ever ready. */
  static readonly layerUnavailable = Layer.succeed(
    Broker,
    Broker.of({
      publish: (message) => Effect.fail(new PublishFailed({ queue: message.queue, reason: "messaging is disabled" })),
      consume: () => Effect.never,
      readiness: Stream.never,
      isReady: Effect.succeed(false),
      messageCounts: () => Effect.fail(new QueueDepthsUnavailable({ reason: "messaging is disabled" })),
      effectiveSpec: (spec) => spec
    })
  )

  /** Queues as rows of PostgreSQL, for a program without RabbitMQ (see `DatabaseBroker.ts`). */
  static readonly layerDatabase = Layer.effect(Broker, Effect.map(makeDatabaseBroker, (broker) => Broker.of(broker)))

  static readonly layer = Layer.effect(
    Broker,
    Effect.gen(function*() {
      const connection = yield* BrokerConnection
      const settings = yield* PublishSettings
      const state = yield* SubscriptionRef.make(Option.none<BrokerSession>())
      const physical = (logical: string) => connection.queueName(logical)
      const overrides = yield* TopologyOverrides
      const effectiveSpec = (spec: QueueSpec) => withOverrides(spec, overrides)
      const declarations = allQueues.flatMap((spec) => queueDeclarations(effectiveSpec(spec), physical))

      const openSession = (amqp: Amqp.ChannelModel) =>
        Effect.gen(function*() {
          for (const declaration of declarations) yield* declareQueue(amqp, declaration)
          const publishChannel = yield* Effect.acquireRelease(
            amqpCall(() => amqp.createConfirmChannel()),
            closeQuietly
          )
          publishChannel.on("error", () => undefined)
          yield* SubscriptionRef.set(state, Option.some({ connection: amqp, publishChannel }))
          yield* untilChannelClosed(publishChannel)
        }).pipe(
          Effect.scoped,
          Effect.ensuring(SubscriptionRef.set(state, Option.none())),
          Effect.tapError((cause) => Effect.logWarning("RabbitMQ session failed; reopening", cause)),
          Effect.isSuccess
        )

      // A channel can close while its connection lives on (a channel error): reopen it then, at
      // once after a session that worked, with a growing delay while the topology is refused.
      const sessionsOf = (amqp: Amqp.ChannelModel) =>
        Effect.suspend(() => {
          let closed = false
          let failures = 0
          amqp.once("close", () => {
            closed = true
          })
          return openSession(amqp).pipe(
            Effect.flatMap((established) => {
              failures = established ? 0 : failures + 1
              return Effect.sleep(Math.min(500 * 2 ** failures, 30_000))
            }),
            Effect.repeat({ while: () => !closed })
          )
        })

      yield* connection.connections.pipe(Stream.runForEach(sessionsOf), Effect.forkScoped)

      const currentSession = SubscriptionRef.changes(state).pipe(
        Stream.filter(Option.isSome),
        Stream.map((session) => session.value),
        Stream.runHead,
        Effect.flatMap((session) => Option.isSome(session) ? Effect.succeed(session.value) : Effect.never)
      )

      const publish = Effect.fn("Broker.publish")(function*(message: OutgoingMessage) {
        yield* Effect.annotateCurrentSpan({
          "messaging.destination.name": message.queue,
          "messaging.message.id": message.messageId
        })
        const session = yield* currentSession.pipe(
          Effect.timeoutOrElse({
            duration: settings.connectTimeout,
            orElse: () => Effect.fail(new PublishFailed({ queue: message.queue, reason: "RabbitMQ is not connected" }))
          })
        )
        const body = typeof message.body === "string" ? Buffer.from(message.body, "utf8") : Buffer.from(message.body)
        const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        yield* Effect.callback<void, PublishFailed>((resume) => {
          try {
            session.publishChannel.sendToQueue(physical(message.queue), body, {
              persistent: true,
              contentType: "application/json",
              messageId: message.messageId,
              headers: message.headers ?? {},
              timestamp
            }, (error: unknown) =>
              resume(
                error
                  ? Effect.fail(new PublishFailed({ queue: message.queue, reason: `not confirmed: ${String(error)}` }))
                  : Effect.void
              ))
          } catch (error) {
            resume(Effect.fail(new PublishFailed({ queue: message.queue, reason: String(error) })))
          }
        }).pipe(
          Effect.timeoutOrElse({
            duration: settings.confirmTimeout,
            orElse: () =>
              Effect.fail(new PublishFailed({ queue: message.queue, reason: "no confirm from RabbitMQ in time" }))
          })
        )
      })

      const sessions = SubscriptionRef.changes(state).pipe(
        Stream.filter(Option.isSome),
        Stream.map((session) => session.value)
      )

      const consume = <R>(
        queue: string,
        options: ConsumeOptions,
        handle: (delivery: Delivery) => Effect.Effect<Settlement, never, R>
      ) =>
        sessions.pipe(
          Stream.runForEach((session) =>
            consumeOnConnection(session.connection, physical(queue), options, handle).pipe(
              Effect.tapCause((cause) => Effect.logWarning(`Consumer of ${queue} stopped`, cause)),
              Effect.ignore
            )
          )
        )

      // One passive declaration per queue on a channel of its own, closed afterwards.
      const messageCounts = Effect.fn("Broker.messageCounts")(function*(queues: ReadonlyArray<string>) {
        const session = yield* SubscriptionRef.get(state)
        if (Option.isNone(session)) return yield* new QueueDepthsUnavailable({ reason: "RabbitMQ is not connected" })
        const counts = yield* Effect.acquireUseRelease(
          declarationChannel(session.value.connection),
          (channel) =>
            Effect.forEach(queues, (queue) =>
              amqpCall(() => channel.checkQueue(physical(queue)), "5 seconds").pipe(
                Effect.map((answer) => [queue, answer.messageCount] as const)
              )),
          closeQuietly
        ).pipe(Effect.mapError((error) => new QueueDepthsUnavailable({ reason: describeAmqpFailure(error) })))
        return new Map(counts)
      })

      return Broker.of({
        publish,
        consume,
        readiness: Stream.map(sessions, () => undefined),
        isReady: Effect.map(SubscriptionRef.get(state), Option.isSome),
        messageCounts,
        effectiveSpec
      })
    })
  )

  /** The broker on its own connection (`RABBITMQ_URL`). */
  static readonly layerConnected = this.layer.pipe(Layer.provideMerge(BrokerConnection.layer))

  /** RabbitMQ, or the database-backed queues when the program's `Infrastructure` embeds the broker. */
  static readonly layerChosen: Layer.Layer<Broker, Config.ConfigError, SqlClient.SqlClient> = Layer.unwrap(
    Effect.gen(function*() {
      const infrastructure = yield* Infrastructure
      return infrastructure.broker === "embedded" ? Broker.layerDatabase : Broker.layerConnected
    })
  )
}
