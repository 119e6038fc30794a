/**
 * Metered usage on the wire, with the reference's field names and bounds: the validate and commit
 * bodies of both products (the API's carry the customer's `api_key` and `client_id`, Career's
 * come with the user's Bearer token), their answers, and the Career analysis history. A feature
 * key of the other product is a 422. Credits are exact decimals (`BigDecimal` in code, `"1.00"`
 * on the wire).
 */
import { Schema, SchemaTransformation } from "effect"
import { apiFeatureKeys, careerFeatureKeys, FeatureKey } from "../billing/FeatureKeys.ts"
import { Amount, Timestamp, Uuid } from "../Ids.ts"

export const ApiFeatureKey = Schema.Literals(apiFeatureKeys).annotate({ identifier: "ApiFeatureKey" })
export type ApiFeatureKey = typeof ApiFeatureKey.Type

export const CareerFeatureKey = Schema.Literals(careerFeatureKeys).annotate({ identifier: "CareerFeatureKey" })
export type CareerFeatureKey = typeof CareerFeatureKey.Type

export const AccessStatus = Schema.Literals(["granted", "denied"]).annotate({ identifier: "AccessStatus" })
export type AccessStatus = typeof AccessStatus.Type

export const FailureType = Schema.Literals([
  "internal_error",
  "timeout",
  "rate_limited",
  "invalid_response",
  "upstream_error",
  "client_error",
  "validation_error"
]).annotate({ identifier: "FailureType" })
export type FailureType = typeof FailureType.Type

const between = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** Lower-cased on decode (the reference stores `/V1/X` as `/v1/x`). */
const Endpoint = Schema.String.pipe(
  Schema.decodeTo(
    Schema.String,
    SchemaTransformation.transform({ decode: (text: string) => text.toLowerCase(), encode: (text) => text })
  )
).annotate({ description: "The endpoint path being called, stored lower-cased" })

/** Upper-cased on decode (`post` is stored as `POST`). */
const Method = Schema.String.pipe(
  Schema.decodeTo(
    Schema.String,
    SchemaTransformation.transform({ decode: (text: string) => text.toUpperCase(), encode: (text) => text })
  )
).annotate({ description: "The HTTP method, stored upper-cased" })

const PayloadHash = Schema.String.check(Schema.isPattern(/^[a-f0-9]{64}$/u)).annotate({
  description: "SHA-256 of the request payload, 64 lower-case hex characters"
})

/** Unique per API key (API) or per user (Career); a longer one is refused rather than truncated. */
const RequestId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255)).annotate({
  description: "The caller's id of the request (1–255 characters): repeating it with the same body replays the answer"
})

export const ClientInfo = Schema.Struct({
  ip: Schema.optionalKey(Schema.NullOr(Schema.String)),
  user_agent: Schema.optionalKey(Schema.NullOr(Schema.String))
}).annotate({ identifier: "ClientInfo", description: "The end client of the request, stored with the usage" })
export type ClientInfo = typeof ClientInfo.Type

const estimateMessage =
  "Value error, At least one field must be provided in usage_estimate (input_chars, max_output_tokens, or model)"

export const UsageEstimate = Schema.Struct({
  input_chars: Schema.optionalKey(Schema.NullOr(between(0, 10_000_000))),
  max_output_tokens: Schema.optionalKey(Schema.NullOr(between(0, 2_000_000))),
  model: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(100))))
}).check(
  Schema.makeFilter((estimate) =>
    (estimate.input_chars ?? null) !== null || (estimate.max_output_tokens ?? null) !== null ||
    (estimate.model ?? null) !== null || estimateMessage
  )
).annotate({ identifier: "UsageEstimate", description: "At least one field when present" })
export type UsageEstimate = typeof UsageEstimate.Type

const validateFields = {
  request_id: RequestId,
  endpoint: Endpoint,
  method: Method,
  payload_hash: PayloadHash,
  client: Schema.optionalKey(Schema.NullOr(ClientInfo)),
  usage_estimate: Schema.optionalKey(Schema.NullOr(UsageEstimate))
}

export const UsageValidateRequest = Schema.Struct({
  ...validateFields,
  client_id: Schema.String.check(Schema.isPattern(/^ws_[a-f0-9]{32}$/u)).annotate({
    description: "`ws_` and the workspace id as 32 lower-case hex characters"
  }),
  feature_key: ApiFeatureKey,
  api_key: Schema.String.annotate({ description: "The customer's API key (`cbx_live_…` or `cbx_test_…`)" })
}).annotate({ identifier: "UsageValidateRequest" })
export type UsageValidateRequest = typeof UsageValidateRequest.Type

export const CareerUsageValidateRequest = Schema.Struct({
  ...validateFields,
  feature_key: CareerFeatureKey
}).annotate({ identifier: "CareerUsageValidateRequest" })
export type CareerUsageValidateRequest = typeof CareerUsageValidateRequest.Type

export const UsageValidateResponse = Schema.Struct({
  access: AccessStatus,
  usage_id: Schema.NullOr(Schema.String),
  message: Schema.String,
  credits_reserved: Schema.NullOr(Amount),
  is_test_key: Schema.Boolean
}).annotate({
  identifier: "UsageValidateResponse",
  description: "Every answer of the validation that is not a 401/409/422 of the request itself, granted or denied"
})
export type UsageValidateResponse = typeof UsageValidateResponse.Type

export const CareerUsageValidateResponse = Schema.Struct({
  access: AccessStatus,
  user_id: Schema.NullOr(Schema.String),
  usage_id: Schema.NullOr(Schema.String),
  message: Schema.String,
  credits_reserved: Schema.NullOr(Amount)
}).annotate({ identifier: "CareerUsageValidateResponse" })
export type CareerUsageValidateResponse = typeof CareerUsageValidateResponse.Type

/** The plan's request limits as the validation left them; `null` fields for a window the plan does not limit. */
export const RateLimitInfo = Schema.Struct({
  limit_minute: Schema.NullOr(Schema.Int),
  remaining_minute: Schema.NullOr(Schema.Int),
  reset_minute: Schema.NullOr(Schema.Int).annotate({ description: "Unix seconds" }),
  limit_day: Schema.NullOr(Schema.Int),
  remaining_day: Schema.NullOr(Schema.Int),
  reset_day: Schema.NullOr(Schema.Int).annotate({ description: "Unix seconds" })
}).annotate({ identifier: "RateLimitInfo" })
export type RateLimitInfo = typeof RateLimitInfo.Type

/** What the RPC `Validate` answers: the REST answer with its rate-limit headers as data. */
export const UsageValidateResult = Schema.Struct({
  ...UsageValidateResponse.fields,
  rate_limit: Schema.NullOr(RateLimitInfo)
}).annotate({ identifier: "UsageValidateResult" })
export type UsageValidateResult = typeof UsageValidateResult.Type

export const CareerUsageValidateResult = Schema.Struct({
  ...CareerUsageValidateResponse.fields,
  rate_limit: Schema.NullOr(RateLimitInfo)
}).annotate({ identifier: "CareerUsageValidateResult" })
export type CareerUsageValidateResult = typeof CareerUsageValidateResult.Type

export const UsageMetrics = Schema.Struct({
  model_used: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(100)))),
  input_tokens: Schema.optionalKey(Schema.NullOr(between(0, 2_000_000))),
  output_tokens: Schema.optionalKey(Schema.NullOr(between(0, 2_000_000))),
  latency_ms: Schema.optionalKey(Schema.NullOr(between(0, 3_600_000)))
}).annotate({ identifier: "UsageMetrics" })
export type UsageMetrics = typeof UsageMetrics.Type

export const FailureDetails = Schema.Struct({
  failure_type: FailureType,
  reason: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1000))
}).annotate({ identifier: "FailureDetails" })
export type FailureDetails = typeof FailureDetails.Type

const failureRequired = "Value error, failure details are required when success=False"
const failureForbidden = "Value error, failure details must not be provided when success=True"

const commitFields = {
  usage_id: Uuid,
  success: Schema.Boolean,
  metrics: Schema.optionalKey(Schema.NullOr(UsageMetrics)),
  failure: Schema.optionalKey(Schema.NullOr(FailureDetails))
}

export const UsageCommitRequest = Schema.Struct({
  ...commitFields,
  api_key: Schema.String.annotate({ description: "The API key the usage was validated with" })
}).check(
  Schema.makeFilter((commit) => commit.success || (commit.failure ?? null) !== null || failureRequired)
).annotate({
  identifier: "UsageCommitRequest",
  description: "`failure` is required when `success` is false"
})
export type UsageCommitRequest = typeof UsageCommitRequest.Type

export const CareerUsageCommitRequest = Schema.Struct({
  ...commitFields,
  user_id: Uuid,
  result_data: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown))).annotate({
    description: "The analysis result, kept in the user's history when the usage is charged"
  })
}).check(
  Schema.makeFilter((commit) =>
    commit.success
      ? (commit.failure ?? null) === null || failureForbidden
      : (commit.failure ?? null) !== null || failureRequired
  )
).annotate({
  identifier: "CareerUsageCommitRequest",
  description: "`failure` is required when `success` is false and refused when it is true"
})
export type CareerUsageCommitRequest = typeof CareerUsageCommitRequest.Type

export const UsageCommitResponse = Schema.Struct({
  success: Schema.Boolean,
  message: Schema.String
}).annotate({ identifier: "UsageCommitResponse" })
export type UsageCommitResponse = typeof UsageCommitResponse.Type

export const AnalysisHistoryItem = Schema.Struct({
  id: Schema.String,
  feature_key: FeatureKey,
  title: Schema.NullOr(Schema.String),
  result_data: Schema.Record(Schema.String, Schema.Unknown),
  created_at: Timestamp
}).annotate({ identifier: "AnalysisHistoryItem" })
export type AnalysisHistoryItem = typeof AnalysisHistoryItem.Type

export const AnalysisHistoryDetail = Schema.Struct({
  ...AnalysisHistoryItem.fields,
  usage_log_id: Schema.String
}).annotate({ identifier: "AnalysisHistoryDetail" })
export type AnalysisHistoryDetail = typeof AnalysisHistoryDetail.Type

export const AnalysisHistoryListResponse = Schema.Struct({
  items: Schema.Array(AnalysisHistoryItem),
  next_cursor: Schema.NullOr(Schema.String).annotate({ description: "Pass as `before` for the next page" }),
  has_more: Schema.Boolean
}).annotate({ identifier: "AnalysisHistoryListResponse" })
export type AnalysisHistoryListResponse = typeof AnalysisHistoryListResponse.Type

const IntFromString = Schema.FiniteFromString.check(Schema.isInt())

export const AnalysisHistoryQuery = {
  feature_key: Schema.optionalKey(FeatureKey),
  limit: Schema.optionalKey(
    IntFromString.check(Schema.isBetween({ minimum: 1, maximum: 100 })).annotate({
      description: "1–100, 20 by default"
    })
  ),
  before: Schema.optionalKey(Uuid.annotate({ description: "The `next_cursor` of the previous page" }))
}
