/**
 * The admin API: operating the dead letters of the queues (metrics as the reference answers
 * them, plus list, detail, replay and discard). Guarded by HTTP Basic with `ADMIN_USERNAME` /
 * `ADMIN_PASSWORD` until the admin panel's session login arrives; repeated failures from one
 * address or for one username are refused with 429 for a while.
 */
import { Schema } from "effect"
import {
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "effect/http-api"
import { Conflict, Forbidden, NotFound, ServiceUnavailable, TooManyRequestsResponse, Unauthorized } from "../Errors.ts"
import { Timestamp } from "../Ids.ts"

/** 401 with a Basic challenge, so a browser asks for the admin credentials. */
export const AdminUnauthorizedResponse = Unauthorized.pipe(
  HttpApiSchema.encodeToWithHeaders({
    body: Schema.Struct({ detail: Schema.String }).pipe(HttpApiSchema.status(401)),
    headers: { "www-authenticate": Schema.String }
  }, {
    decode: ({ body }) => new Unauthorized({ detail: body.detail }),
    encode: (error) => ({
      body: { detail: error.detail },
      headers: { "www-authenticate": "Basic realm=\"CueBX Admin\", charset=\"UTF-8\"" }
    })
  })
)

export class AdminAuthentication extends HttpApiMiddleware.Service<AdminAuthentication>()(
  "@cuebx/contract/AdminAuthentication",
  { error: [AdminUnauthorizedResponse, TooManyRequestsResponse, Forbidden], security: { basic: HttpApiSecurity.basic } }
) {}

export const DlqStatus = Schema.Literals(["pending", "retried", "discarded"])
export type DlqStatus = typeof DlqStatus.Type

export const DlqMessage = Schema.Struct({
  id: Schema.String,
  queue_name: Schema.String,
  original_queue: Schema.String,
  message_id: Schema.NullOr(Schema.String),
  status: DlqStatus,
  error_message: Schema.NullOr(Schema.String),
  attempt_count: Schema.Int,
  message_body: Schema.String.annotate({ description: "The body, with secrets redacted" }),
  headers: Schema.Record(Schema.String, Schema.Unknown),
  alerted_at: Schema.NullOr(Timestamp),
  retried_at: Schema.NullOr(Timestamp),
  discarded_at: Schema.NullOr(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp
}).annotate({ identifier: "DlqMessage" })
export type DlqMessage = typeof DlqMessage.Type

export const DlqPage = Schema.Struct({
  items: Schema.Array(DlqMessage),
  total: Schema.Int,
  limit: Schema.Int,
  offset: Schema.Int
}).annotate({ identifier: "DlqPage" })

export const DlqMetrics = Schema.Struct({
  total: Schema.Int,
  by_status: Schema.Record(Schema.String, Schema.Int),
  by_queue: Schema.Record(Schema.String, Schema.Record(Schema.String, Schema.Int)),
  items: Schema.Array(Schema.Struct({ queue_name: Schema.String, status: Schema.String, count: Schema.Int }))
}).annotate({ identifier: "DlqMetrics" })

const IntFromString = Schema.FiniteFromString.check(Schema.isInt())

export const DlqListQuery = {
  queue: Schema.optionalKey(Schema.String.annotate({ description: "A dead-letter queue, e.g. `otp_emails_dead`" })),
  status: Schema.optionalKey(DlqStatus),
  limit: Schema.optionalKey(IntFromString.check(Schema.isBetween({ minimum: 1, maximum: 200 }))),
  offset: Schema.optionalKey(IntFromString.check(Schema.isGreaterThanOrEqualTo(0)))
}

const dlqId = { id: Schema.String }

export class AdminApi extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.get("dlqMetrics", "/admin/api/dlq/metrics", { success: DlqMetrics }).annotateMerge(
      OpenApi.annotations({
        summary: "Dead-letter counts in total, by status and by queue",
        description: "In the reference's shape: `by_status`, `by_queue` and one item per queue and status."
      })
    ),
    HttpApiEndpoint.get("dlqList", "/admin/api/dlq", { query: DlqListQuery, success: DlqPage }).annotateMerge(
      OpenApi.annotations({
        summary: "Dead letters, newest first, filtered by queue and status",
        description: "Paged by `limit` (1–200) and `offset`; secrets in the bodies are redacted."
      })
    ),
    HttpApiEndpoint.get("dlqGet", "/admin/api/dlq/:id", { params: dlqId, success: DlqMessage, error: NotFound })
      .annotateMerge(OpenApi.annotations({
        summary: "One dead letter",
        description: "With its headers and failure history; secrets in the body are redacted."
      })),
    HttpApiEndpoint.post("dlqReplay", "/admin/api/dlq/:id/replay", {
      params: dlqId,
      success: DlqMessage,
      error: [NotFound, Conflict, ServiceUnavailable]
    }).annotateMerge(OpenApi.annotations({
      summary: "Publish the original body again to its main queue, then mark it retried",
      description: "Only a pending one (409 otherwise); marked once the broker confirmed (503 when it cannot)."
    })),
    HttpApiEndpoint.post("dlqDiscard", "/admin/api/dlq/:id/discard", {
      params: dlqId,
      success: DlqMessage,
      error: [NotFound, Conflict]
    }).annotateMerge(OpenApi.annotations({
      summary: "Mark a pending dead letter discarded",
      description: "Only a pending one (409 otherwise); it is kept, and never replayed."
    }))
  )
  .middleware(AdminAuthentication)
  .annotateMerge(OpenApi.annotations({
    title: "Admin",
    description: "Operating CueBX: the dead letters of the queues. HTTP Basic with the admin credentials."
  }))
{}
