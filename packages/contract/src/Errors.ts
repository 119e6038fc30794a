/**
 * Every error CueBX puts on the wire, each carrying its HTTP status from SPEC.md's status table.
 * Bodies are `{"detail": ...}` (plus the few extra fields the reference sends); the `_tag` exists
 * in TypeScript for matching but is omitted on the wire.
 */
import { Schema } from "effect"
import { HttpApiSchema } from "effect/http-api"

export class BadRequest
  extends Schema.Error<BadRequest>("BadRequest")({ _tag: Schema.tagDefaultOmit("BadRequest"), detail: Schema.String }, {
    httpApiStatus: 400,
    description: "Bad request, invalid or expired code, OAuth failure or bad signature"
  })
{}

export class Unauthorized extends Schema.Error<Unauthorized>("Unauthorized")({
  _tag: Schema.tagDefaultOmit("Unauthorized"),
  detail: Schema.String
}, {
  httpApiStatus: 401,
  description: "Missing, invalid or expired credentials"
}) {}

/** 401 with `WWW-Authenticate: Bearer`: declare this on endpoints, fail with `Unauthorized`. */
export const UnauthorizedResponse = Unauthorized.pipe(
  HttpApiSchema.encodeToWithHeaders({
    body: Schema.Struct({ detail: Schema.String }).pipe(HttpApiSchema.status(401)),
    headers: { "www-authenticate": Schema.String }
  }, {
    decode: ({ body }) => new Unauthorized({ detail: body.detail }),
    encode: (error) => ({ body: { detail: error.detail }, headers: { "www-authenticate": "Bearer" } })
  })
)

export class PaymentRequired extends Schema.Error<PaymentRequired>("PaymentRequired")({
  _tag: Schema.tagDefaultOmit("PaymentRequired"),
  detail: Schema.String
}, {
  httpApiStatus: 402,
  description: "A subscription or a free seat is required"
}) {}

export class CardDeclined extends Schema.Error<CardDeclined>("CardDeclined")(
  {
    _tag: Schema.tagDefaultOmit("CardDeclined"),
    detail: Schema.String,
    stripe_code: Schema.NullOr(Schema.String),
    decline_code: Schema.NullOr(Schema.String),
    param: Schema.NullOr(Schema.String)
  },
  { httpApiStatus: 402, description: "The card was declined" }
) {}

export class Forbidden
  extends Schema.Error<Forbidden>("Forbidden")({ _tag: Schema.tagDefaultOmit("Forbidden"), detail: Schema.String }, {
    httpApiStatus: 403,
    description: "Authenticated but not allowed (role, frozen workspace, disabled member)"
  })
{}

export class NotFound
  extends Schema.Error<NotFound>("NotFound")({ _tag: Schema.tagDefaultOmit("NotFound"), detail: Schema.String }, {
    httpApiStatus: 404,
    description: "Not found, or not a member of the workspace"
  })
{}

export class MethodNotAllowed extends Schema.Error<MethodNotAllowed>("MethodNotAllowed")({
  _tag: Schema.tagDefaultOmit("MethodNotAllowed"),
  detail: Schema.String
}, {
  httpApiStatus: 405,
  description: "The path exists but not with this method"
}) {}

export class Conflict
  extends Schema.Error<Conflict>("Conflict")({ _tag: Schema.tagDefaultOmit("Conflict"), detail: Schema.String }, {
    httpApiStatus: 409,
    description: "The request conflicts with the current state"
  })
{}

export class IdempotencyConflict extends Schema.Error<IdempotencyConflict>("IdempotencyConflict")(
  {
    _tag: Schema.tagDefaultOmit("IdempotencyConflict"),
    detail: Schema.String,
    request_id: Schema.String
  },
  { httpApiStatus: 409, description: "An idempotency key was reused with other parameters" }
) {}

export class PayloadTooLarge extends Schema.Error<PayloadTooLarge>("PayloadTooLarge")({
  _tag: Schema.tagDefaultOmit("PayloadTooLarge"),
  detail: Schema.String
}, {
  httpApiStatus: 413,
  description: "The request body is over the size limit"
}) {}

/** One entry of a 422 body, in FastAPI's shape. */
export const ValidationIssue = Schema.Struct({
  type: Schema.String,
  loc: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  msg: Schema.String,
  input: Schema.optionalKey(Schema.Unknown)
})
export type ValidationIssue = typeof ValidationIssue.Type

export class ValidationFailed extends Schema.Error<ValidationFailed>("ValidationFailed")(
  { _tag: Schema.tagDefaultOmit("ValidationFailed"), detail: Schema.Array(ValidationIssue) },
  { httpApiStatus: 422, description: "The request's path, query, headers or body failed validation" }
) {}

export class TooManyRequests extends Schema.Error<TooManyRequests>("TooManyRequests")(
  {
    _tag: Schema.tagDefaultOmit("TooManyRequests"),
    detail: Schema.String,
    retryAfterSeconds: Schema.Int
  },
  { httpApiStatus: 429, description: "Rate limit exceeded or too many attempts" }
) {
  /** The reference's rate-limit answer: `Rate limit exceeded. Try again in N seconds.` */
  static rateLimited(retryAfterSeconds: number): TooManyRequests {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds))
    return new TooManyRequests({
      detail: `Rate limit exceeded. Try again in ${seconds} seconds.`,
      retryAfterSeconds: seconds
    })
  }
}

/** 429 with `Retry-After: N`: declare this on endpoints, fail with `TooManyRequests`. */
export const TooManyRequestsResponse = TooManyRequests.pipe(
  HttpApiSchema.encodeToWithHeaders({
    body: Schema.Struct({ detail: Schema.String }).pipe(HttpApiSchema.status(429)),
    headers: { "retry-after": Schema.FiniteFromString.check(Schema.isInt()) }
  }, {
    decode: ({ body, headers }) =>
      new TooManyRequests({ detail: body.detail, retryAfterSeconds: headers["retry-after"] }),
    encode: (error) => ({ body: { detail: error.detail }, headers: { "retry-after": error.retryAfterSeconds } })
  })
)

export class InternalServerError extends Schema.Error<InternalServerError>("InternalServerError")(
  {
    _tag: Schema.tagDefaultOmit("InternalServerError"),
    detail: Schema.String,
    request_id: Schema.String
  },
  { httpApiStatus: 500, description: "A defect; the body never carries internals" }
) {}

export class NotImplemented extends Schema.Error<NotImplemented>("NotImplemented")({
  _tag: Schema.tagDefaultOmit("NotImplemented"),
  detail: Schema.String
}, {
  httpApiStatus: 501,
  description: "The feature is not available"
}) {}

export class UpstreamFailed extends Schema.Error<UpstreamFailed>("UpstreamFailed")(
  {
    _tag: Schema.tagDefaultOmit("UpstreamFailed"),
    detail: Schema.String,
    error_type: Schema.String,
    stripe_code: Schema.NullOr(Schema.String),
    request_id: Schema.NullOr(Schema.String)
  },
  { httpApiStatus: 502, description: "Stripe or another upstream service failed" }
) {}

export class ServiceUnavailable extends Schema.Error<ServiceUnavailable>("ServiceUnavailable")({
  _tag: Schema.tagDefaultOmit("ServiceUnavailable"),
  detail: Schema.String
}, {
  httpApiStatus: 503,
  description: "A dependency this request needs is not configured or is down"
}) {}

/**
 * One translation table per domain and transport: every domain error tag mapped to the wire error
 * it becomes. The result maps an error to exactly the wire errors of its own tags, so a handler
 * that can fail with two domain errors declares just their two wire errors:
 *
 * ```ts
 * const toWire = errorTranslation({
 *   WorkspaceNotFound: () => new NotFound({ detail: "Workspace not found or access denied." }),
 *   SeatsExhausted: (error) => new PaymentRequired({ detail: `No seats available. Current: ${error.seats} seats.` })
 * })
 * members.setStatus(...).pipe(Effect.mapError(toWire))
 * ```
 */
export const errorTranslation = <
  const Table extends Record<string, (error: never) => unknown>
>(table: Table) =>
<E extends { readonly _tag: keyof Table & string }>(error: E): ReturnType<Table[E["_tag"]]> =>
  (table[error._tag] as (error: E) => ReturnType<Table[E["_tag"]]>)(error)
