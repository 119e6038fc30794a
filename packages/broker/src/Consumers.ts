/**
 * The consumer runtime, over whichever transport the program has (RabbitMQ or the database): runs
 * the handler of each queue with a prefetch and a concurrency per queue. A message is settled
 * only after its outcome is safe: handled (once per message id, recorded in the handler's own
 * transaction), or republished to the retry queue (attempts counted in `x-retry-attempt`) or,
 * after the last attempt or for a permanent failure, to the dead-letter queue. A crash before
 * that delivers the message again.
 */
import { transactionWith } from "@cuebx/db"
import { Cause, Config, Data, Effect, Layer, Option, Schema, SchemaIssue } from "effect"
import { Headers, HttpTraceContext } from "effect/http"
import { SqlClient, SqlSchema } from "effect/sql"
import { Broker, type Delivery, type Settlement } from "./Broker.ts"
import type { MessageType } from "./MessageType.ts"
import { deadLetterQueueName, type QueueSpec, retryQueueName } from "./Queues.ts"

/** A failure no retry can fix (a malformed payload, a request the upstream refuses). */
export class PermanentFailure extends Data.TaggedError("PermanentFailure")<{
  readonly reason: string
}> {}

export interface MessageContext {
  readonly messageId: string
  readonly queue: string
  /** 0 for the first delivery, then 1, 2 ... for each retry. */
  readonly attempt: number
  readonly headers: Readonly<Record<string, unknown>>
}

export interface QueueHandler<R> {
  readonly queue: QueueSpec
  /** Decodes the parsed JSON body with the queue's payload schema, then handles it. */
  readonly handle: (json: unknown, context: MessageContext) => Effect.Effect<void, unknown, R>
}

/**
 * The handler of one message type, the same `MessageType` its publishers enqueue; a payload its
 * schema rejects is a permanent failure.
 */
export const queueHandler = <A, I, R>(
  type: MessageType<A, I>,
  handle: (payload: A, context: MessageContext) => Effect.Effect<void, unknown, R>
): QueueHandler<R> => ({
  queue: type.queue,
  handle: (json, context) =>
    Schema.decodeUnknownEffect(type.payload)(json).pipe(
      Effect.mapError((error) =>
        new PermanentFailure({ reason: `invalid payload: ${SchemaIssue.makeFormatterDefault()(error.issue)}` })
      ),
      Effect.flatMap((decoded) => handle(decoded, context))
    )
})

const upper = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, "_")

/** Per-queue `CONSUMER_PREFETCH_<QUEUE>` / `CONSUMER_CONCURRENCY_<QUEUE>`, else the global ones. */
export const consumerSettings = (queue: string) =>
  Config.all({
    prefetch: Config.Int(`CONSUMER_PREFETCH_${upper(queue)}`).pipe(
      Config.orElse(() => Config.Int("CONSUMER_PREFETCH")),
      Config.withDefault(10)
    ),
    concurrency: Config.Int(`CONSUMER_CONCURRENCY_${upper(queue)}`).pipe(
      Config.orElse(() => Config.Int("CONSUMER_CONCURRENCY")),
      Config.withDefault(4)
    )
  })

const attemptOf = (headers: Record<string, unknown>) => {
  const value = Number(headers["x-retry-attempt"] ?? 0)
  return Number.isInteger(value) && value >= 0 ? value : 0
}

const describe = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof PermanentFailure) return error.reason
    if (error instanceof Error && error.message !== "") return error.message
    if (typeof error === "object" && error !== null && "reason" in error) return String(error.reason)
    return String(error)
  }
  return Cause.pretty(cause).split("\n")[0] ?? "defect"
}

const isPermanent = (cause: Cause.Cause<unknown>) => {
  const failure = Cause.findErrorOption(cause)
  return Option.isSome(failure) && failure.value instanceof PermanentFailure
}

type Outcome =
  | { readonly _tag: "Handled" }
  | { readonly _tag: "Duplicate" }
  | { readonly _tag: "Failed"; readonly permanent: boolean; readonly error: string }

/**
 * Claims a message id in `processed_messages`: `Some` for the first delivery, `None` for a
 * duplicate (the row exists, or another delivery's open transaction held it and then committed).
 */
const claimMessage = (sql: SqlClient.SqlClient) =>
  SqlSchema.findOneOption({
    Request: Schema.Struct({ queue: Schema.String, messageId: Schema.String }),
    Result: Schema.Struct({ messageId: Schema.String }),
    execute: ({ queue, messageId }) =>
      sql`
        INSERT INTO processed_messages (queue, message_id) VALUES (${queue}, ${messageId})
        ON CONFLICT DO NOTHING RETURNING message_id`
  })

/** Runs a handler once per message id: the record and the handler's writes share a transaction. */
const handleOnce = <R>(
  sql: SqlClient.SqlClient,
  claim: ReturnType<typeof claimMessage>,
  handler: QueueHandler<R>,
  body: string,
  context: MessageContext
): Effect.Effect<Outcome, never, R> =>
  Effect.gen(function*() {
    const json = yield* Effect.try({
      try: (): unknown => JSON.parse(body),
      catch: () => new PermanentFailure({ reason: "the body is not valid JSON" })
    })
    return yield* transactionWith(sql)(Effect.gen(function*() {
      const claimed = yield* claim({ queue: context.queue, messageId: context.messageId })
      if (Option.isNone(claimed)) return { _tag: "Duplicate" } as const
      yield* handler.handle(json, context)
      return { _tag: "Handled" } as const
    }))
  }).pipe(
    Effect.catchCause((cause): Effect.Effect<Outcome> =>
      Effect.succeed({ _tag: "Failed", permanent: isPermanent(cause), error: describe(cause) })
    )
  )

/** Runs `handler` on each delivery of its queue and settles it once the outcome is safe. */
const processDeliveries = <R>(
  broker: Broker["Service"],
  sql: SqlClient.SqlClient,
  handler: QueueHandler<R>,
  spec: QueueSpec
) => {
  const claim = claimMessage(sql)
  const republish = (target: string, delivery: Delivery, headers: Record<string, unknown>, messageId: string) =>
    broker.publish({ queue: target, body: delivery.body, messageId, headers })

  return (delivery: Delivery): Effect.Effect<Settlement, never, R> =>
    Effect.gen(function*() {
      const headers = delivery.headers
      const messageId = delivery.messageId || crypto.randomUUID()
      const context: MessageContext = { messageId, queue: spec.name, attempt: attemptOf(headers), headers }
      const body = Buffer.from(delivery.body).toString("utf8")
      const outcome = yield* handleOnce(sql, claim, handler, body, context)
      if (outcome._tag === "Duplicate") yield* Effect.logInfo("Message already handled; dropped as a duplicate")
      if (outcome._tag === "Failed") {
        const exhausted = outcome.permanent || context.attempt >= spec.maxRetries
        if (exhausted) {
          yield* Effect.logWarning("Message dead-lettered", { error: outcome.error, attempt: context.attempt })
          yield* republish(deadLetterQueueName(spec.name), delivery, {
            ...headers,
            "x-error-message": outcome.error,
            "x-original-queue": spec.name,
            "x-retry-attempt": context.attempt
          }, messageId)
        } else {
          yield* Effect.logInfo("Message failed; retrying later", { error: outcome.error, attempt: context.attempt })
          yield* republish(retryQueueName(spec.name), delivery, {
            ...headers,
            "x-error-message": outcome.error,
            "x-retry-attempt": context.attempt + 1
          }, messageId)
        }
      }
      return "ack" as const
    }).pipe(
      // Republishing failed: leave the message to the transport, which delivers it again.
      Effect.catchTag("PublishFailed", (error) =>
        Effect.logWarning("Could not republish; the message will be redelivered", error.reason).pipe(
          Effect.andThen(Effect.sleep("1 second")),
          Effect.as<Settlement>("requeue")
        )),
      Effect.withSpan(`consume ${spec.name}`, { kind: "consumer" }),
      withProducerContext(delivery.headers),
      Effect.annotateLogs({ queue: spec.name, message_id: delivery.messageId ?? "" }),
      Effect.catchCause((cause) =>
        Effect.logError("Consumer failed on a message", cause).pipe(
          Effect.andThen(Effect.sleep("1 second")),
          Effect.as<Settlement>("requeue")
        )
      )
    )
}

/** Continues the trace of the request that published the message, when it carries one. */
const withProducerContext =
  (headers: Readonly<Record<string, unknown>>) => <A, E, R>(effect: Effect.Effect<A, E, R>) => {
    const requestId = typeof headers["x-request-id"] === "string" ? headers["x-request-id"] : undefined
    const traceparent = typeof headers["traceparent"] === "string" ? headers["traceparent"] : undefined
    const parent = traceparent === undefined
      ? Option.none()
      : HttpTraceContext.fromHeaders(Headers.fromInput({ traceparent }))
    const annotated = requestId === undefined ? effect : Effect.annotateLogs(effect, { request_id: requestId })
    return Option.isSome(parent) ? Effect.withParentSpan(annotated, parent.value) : annotated
  }

/**
 * Runs every handler for the lifetime of the layer, each queue consumed on its own (its own
 * channel on RabbitMQ), so a failing queue never stalls the others.
 */
export const runConsumers = <R>(handlers: ReadonlyArray<QueueHandler<R>>) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const broker = yield* Broker
    const sql = yield* SqlClient.SqlClient
    for (const handler of handlers) {
      const settings = yield* consumerSettings(handler.queue.name)
      const spec = broker.effectiveSpec(handler.queue)
      yield* broker.consume(spec.name, settings, processDeliveries(broker, sql, handler, spec)).pipe(
        Effect.forkScoped
      )
    }
  }))
