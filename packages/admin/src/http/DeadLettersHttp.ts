/**
 * Handlers of the admin group: the dead letters over HTTP. Bodies and headers are shown with
 * their secrets redacted; statuses are lower case on the wire, as the reference's metrics are.
 * Domain errors become wire errors in one table.
 */
import { type DeadLetter, type DeadLetterNotPending, DeadLetters, redactBody, redactValue } from "@cuebx/broker"
import { Conflict, CuebxApi, type DlqMessage, errorTranslation, NotFound, ServiceUnavailable } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"

export const toDlqMessage = (row: DeadLetter): DlqMessage => ({
  id: row.id,
  queue_name: row.queueName,
  original_queue: row.originalQueue,
  message_id: row.messageId,
  status: row.status,
  error_message: row.errorMessage,
  attempt_count: row.attemptCount,
  message_body: redactBody(row.messageBody),
  headers: redactValue(row.headers ?? {}) as Record<string, unknown>,
  alerted_at: row.alertedAt,
  retried_at: row.retriedAt,
  discarded_at: row.discardedAt,
  created_at: row.createdAt,
  updated_at: row.updatedAt
})

const toWire = errorTranslation({
  DeadLetterNotFound: () => new NotFound({ detail: "DLQ message not found." }),
  DeadLetterNotPending: (error: DeadLetterNotPending) =>
    new Conflict({ detail: `DLQ message is not pending (status: ${error.status}).` }),
  PublishFailed: () => new ServiceUnavailable({ detail: "RabbitMQ is unavailable; the message was not replayed." })
})

export const DeadLettersHttp = HttpApiBuilder.group(
  CuebxApi,
  "admin",
  Effect.fn(function*(handlers) {
    const deadLetters = yield* DeadLetters
    return handlers
      .handle("dlqMetrics", () =>
        deadLetters.metrics.pipe(Effect.map((metrics) => {
          const byStatus: Record<string, number> = {}
          const byQueue: Record<string, Record<string, number>> = {}
          for (const item of metrics.items) {
            byStatus[item.status] = (byStatus[item.status] ?? 0) + item.count
            byQueue[item.queueName] = { ...byQueue[item.queueName], [item.status]: item.count }
          }
          return {
            total: metrics.total,
            by_status: byStatus,
            by_queue: byQueue,
            items: metrics.items.map((item) => ({ queue_name: item.queueName, status: item.status, count: item.count }))
          }
        })))
      .handle("dlqList", ({ query }) => {
        const limit = query.limit ?? 50
        const offset = query.offset ?? 0
        return deadLetters.list({ queue: query.queue, status: query.status, limit, offset }).pipe(
          Effect.map((page) => ({ items: page.items.map(toDlqMessage), total: page.total, limit, offset }))
        )
      })
      .handle(
        "dlqGet",
        ({ params }) => deadLetters.get(params.id).pipe(Effect.map(toDlqMessage), Effect.mapError(toWire))
      )
      .handle("dlqReplay", ({ params }) =>
        deadLetters.replay(params.id).pipe(
          Effect.map(toDlqMessage),
          Effect.tapErrorTag("PublishFailed", (error) => Effect.logWarning("Replay not published", error.reason)),
          Effect.mapError(toWire)
        ))
      .handle(
        "dlqDiscard",
        ({ params }) => deadLetters.discard(params.id).pipe(Effect.map(toDlqMessage), Effect.mapError(toWire))
      )
  })
)
