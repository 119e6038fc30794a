/**
 * The one interface of a message transport, whatever carries the messages: RabbitMQ, or rows of
 * PostgreSQL when there is no RabbitMQ (the embedded mode). Publishing is durable once it
 * succeeds; consuming hands each message to a handler that settles it, and a message not settled
 * (a crash) is delivered again. Retries, dead letters and run-once are the consumer runtime's,
 * written once over this interface.
 */
import type { Effect, Stream } from "effect"
import { Data } from "effect"
import type { QueueSpec } from "./Queues.ts"

export class PublishFailed extends Data.TaggedError("PublishFailed")<{
  readonly queue: string
  readonly reason: string
}> {}

/** The transport cannot say how many messages wait right now (not connected, messaging off). */
export class QueueDepthsUnavailable extends Data.TaggedError("QueueDepthsUnavailable")<{
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

/** A message as a consumer receives it. */
export interface Delivery {
  /** The bytes as published. */
  readonly body: Uint8Array
  readonly messageId: string | undefined
  /** As plain JSON values. */
  readonly headers: Readonly<Record<string, unknown>>
}

/** `ack`: the message is done with and removed; `requeue`: it is delivered again later. */
export type Settlement = "ack" | "requeue"

export interface ConsumeOptions {
  /** Deliveries held at once (handed out ahead of the handlers). */
  readonly prefetch: number
  /** Handlers running at once. */
  readonly concurrency: number
}

export interface MessageTransport {
  /** Sends a message to a queue; succeeds once the transport holds it durably. */
  publish(message: OutgoingMessage): Effect.Effect<void, PublishFailed>
  /**
   * Consumes a queue until interrupted, through every reconnection: each delivery goes to
   * `handle`, which settles it. A delivery in hand when the consumer stops is finished first; one
   * in hand when the process dies is delivered again.
   */
  consume<R>(
    queue: string,
    options: ConsumeOptions,
    handle: (delivery: Delivery) => Effect.Effect<Settlement, never, R>
  ): Effect.Effect<void, never, R>
  /** Emits each time the transport becomes ready to publish (the relay drains the outbox then). */
  readonly readiness: Stream.Stream<void>
  /** Whether a publish can succeed right now. */
  readonly isReady: Effect.Effect<boolean>
  /**
   * How many messages wait in each of these queues (logical names): on RabbitMQ those ready for
   * delivery, in the database every row not yet handled. One cheap look per queue, for operators.
   */
  messageCounts(queues: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, number>, QueueDepthsUnavailable>
  /** The queue as this transport runs it: retry delay and retry count after configuration overrides. */
  effectiveSpec(spec: QueueSpec): QueueSpec
}
