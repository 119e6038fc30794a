/**
 * A message type: the queue a message goes to and the schema of its payload, declared once by
 * the domain that owns the payload and used by both sides, `Outbox.enqueue(type, payload)` to
 * publish and `queueHandler(type, handle)` to consume.
 */
import type { Schema } from "effect"
import type { QueueSpec } from "./Queues.ts"

export interface MessageType<A, I> {
  readonly queue: QueueSpec
  readonly payload: Schema.Codec<A, I>
}

export const messageType = <A, I>(queue: QueueSpec, payload: Schema.Codec<A, I>): MessageType<A, I> => ({
  queue,
  payload
})
