/**
 * Handlers of the admin group: the dead letters over HTTP. Bodies and headers are shown with
 * their secrets redacted; statuses are lowercase on the wire, as the reference's metrics are.
 */
import { Conflict, CuebxApi, type DlqMessage, type DlqStatus, NotFound, ServiceUnavailable } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { type DeadLetter, DeadLetters, type DeadLetterStatus } from "./DeadLetters.ts"
import { redactBody, redactValue } from "./Redaction.ts"

const toWireStatus = (status: DeadLetterStatus) => status.toLowerCase() as DlqStatus
const toStoredStatus = (status: DlqStatus) => status.toUpperCase() as DeadLetterStatus
const iso = (date: Date | null) => date === null ? null : date.toISOString()

export const toDlqMessage = (row: DeadLetter): DlqMessage => ({
  id: row.id,
  queue_name: row.queueName,
  original_queue: row.originalQueue,
  message_id: row.messageId,
  status: toWireStatus(row.status),
  error_message: row.errorMessage,
  attempt_count: row.attemptCount,
  message_body: redactBody(row.messageBody),
  headers: redactValue(row.headers ?? {}) as Record<string, unknown>,
  alerted_at: iso(row.alertedAt),
  retried_at: iso(row.retriedAt),
  discarded_at: iso(row.discardedAt),
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString()
})

const notFound = () => new NotFound({ detail: "DLQ message not found." })
const notPending = (status: DeadLetterStatus) =>
  new Conflict({ detail: `DLQ message is not pending (status: ${toWireStatus(status)}).` })

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
            const status = toWireStatus(item.status)
            byStatus[status] = (byStatus[status] ?? 0) + item.count
            byQueue[item.queueName] = { ...byQueue[item.queueName], [status]: item.count }
          }
          return {
            total: metrics.total,
            by_status: byStatus,
            by_queue: byQueue,
            items: metrics.items.map((item) => ({
              queue_name: item.queueName,
              status: toWireStatus(item.status),
              count: item.count
            }))
          }
        })))
      .handle("dlqList", ({ query }) => {
        const limit = query.limit ?? 50
        const offset = query.offset ?? 0
        return deadLetters.list({
          queue: query.queue,
          status: query.status === undefined ? undefined : toStoredStatus(query.status),
          limit,
          offset
        }).pipe(Effect.map((page) => ({ items: page.items.map(toDlqMessage), total: page.total, limit, offset })))
      })
      .handle("dlqGet", ({ params }) =>
        deadLetters.get(params.id).pipe(
          Effect.map(toDlqMessage),
          Effect.catchTag("DeadLetterNotFound", () => Effect.fail(notFound()))
        ))
      .handle("dlqReplay", ({ params }) =>
        deadLetters.replay(params.id).pipe(
          Effect.map(toDlqMessage),
          Effect.catchTags({
            DeadLetterNotFound: () => Effect.fail(notFound()),
            DeadLetterNotPending: (error) => Effect.fail(notPending(error.status)),
            PublishFailed: (error) =>
              Effect.logWarning("Replay not published", error.reason).pipe(
                Effect.andThen(
                  Effect.fail(
                    new ServiceUnavailable({ detail: "RabbitMQ is unavailable; the message was not replayed." })
                  )
                )
              )
          })
        ))
      .handle("dlqDiscard", ({ params }) =>
        deadLetters.discard(params.id).pipe(
          Effect.map(toDlqMessage),
          Effect.catchTags({
            DeadLetterNotFound: () => Effect.fail(notFound()),
            DeadLetterNotPending: (error) => Effect.fail(notPending(error.status))
          })
        ))
  })
)
