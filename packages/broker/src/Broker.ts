/**
 * Publishing to RabbitMQ. On every (re)connection the broker declares the whole topology (each
 * queue triplet, durable) and opens one long-lived confirm channel; `publish` waits for the
 * broker's confirm, so a message counts as sent only once RabbitMQ has it. Consuming is the
 * consumer runtime's business; it follows the same sessions.
 */
import type * as Amqp from "amqplib"
import { Cause, Clock, Config, Context, Data, Duration, Effect, Layer, Option, Stream, SubscriptionRef } from "effect"
import { amqpCall, amqpQuietly } from "./AmqpCalls.ts"
import { BrokerConnection } from "./BrokerConnection.ts"
import {
  allQueues,
  deadLetterQueueName,
  type QueueSpec,
  retryQueueName,
  TopologyOverrides,
  withOverrides
} from "./Queues.ts"

export class PublishFailed extends Data.TaggedError("PublishFailed")<{
  readonly queue: string
  readonly reason: string
}> {}

export interface OutgoingMessage {
  /** Logical queue name (`otp_emails`, `otp_emails_retry`, `otp_emails_dead`). */
  readonly queue: string
  /** The exact bytes to send (JSON). */
  readonly body: string | Uint8Array
  readonly messageId: string
  readonly headers?: Readonly<Record<string, unknown>>
}

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
export interface BrokerSession {
  readonly connection: Amqp.ChannelModel
  readonly publishChannel: Amqp.ConfirmChannel
}

const closeQuietly = (channel: Amqp.Channel) => amqpQuietly(() => channel.close())

/** A channel for the lifetime of the scope; its errors close it (watch `close`), never throw. */
export const openChannel = (connection: Amqp.ChannelModel) =>
  Effect.acquireRelease(amqpCall(() => connection.createChannel()), closeQuietly).pipe(
    Effect.tap((channel) => Effect.sync(() => channel.on("error", () => undefined)))
  )

/** Resumes when the channel closes (its connection dropped, or the broker closed it). */
export const untilChannelClosed = (channel: Amqp.Channel) =>
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

export class Broker extends Context.Service<Broker, {
  publish(message: OutgoingMessage): Effect.Effect<void, PublishFailed>
  /** Every session as it is established (the current one first, if any). */
  readonly sessions: Stream.Stream<BrokerSession>
  /** Whether the topology is declared and a confirm channel is open right now. */
  readonly isReady: Effect.Effect<boolean>
  /** The queue as declared here: retry delay and retry count after configuration overrides. */
  effectiveSpec(spec: QueueSpec): QueueSpec
  queueName(logical: string): string
}>()("@cuebx/broker/Broker") {
  /** For a program that does not talk to RabbitMQ: every publish fails, nothing is ever ready. */
  static readonly layerUnavailable = Layer.succeed(
    Broker,
    Broker.of({
      publish: (message) => Effect.fail(new PublishFailed({ queue: message.queue, reason: "messaging is disabled" })),
      sessions: Stream.never,
      isReady: Effect.succeed(false),
      effectiveSpec: (spec) => spec,
      queueName: (logical) => logical
    })
  )

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

      return Broker.of({
        publish,
        sessions: SubscriptionRef.changes(state).pipe(
          Stream.filter(Option.isSome),
          Stream.map((session) => session.value)
        ),
        isReady: Effect.map(SubscriptionRef.get(state), Option.isSome),
        effectiveSpec,
        queueName: physical
      })
    })
  )

  /** The broker on its own connection (`RABBITMQ_URL`). */
  static readonly layerConnected = this.layer.pipe(Layer.provideMerge(BrokerConnection.layer))
}
