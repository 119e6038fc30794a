/**
 * Why a usage validation is refused, as typed errors the RPC client decodes (the REST endpoints
 * answer the same refusals in the response model with these statuses, as the reference did).
 * Each carries the reference's message and what a caller needs to act on it.
 */
import { Schema } from "effect"
import { Amount } from "../Ids.ts"
import { RateLimitInfo } from "./UsageModels.ts"

export class UsageApiKeyMalformed extends Schema.TaggedError<UsageApiKeyMalformed>()("UsageApiKeyMalformed", {
  message: Schema.String
}, { httpApiStatus: 400, description: "The API key is not `cbx_live_…` or `cbx_test_…`" }) {}

export class UsageApiKeyRejected extends Schema.TaggedError<UsageApiKeyRejected>()("UsageApiKeyRejected", {
  message: Schema.String
}, { httpApiStatus: 401, description: "No usable API key: unknown, expired or revoked" }) {}

export class UsageApiKeyOfOtherWorkspace
  extends Schema.TaggedError<UsageApiKeyOfOtherWorkspace>()("UsageApiKeyOfOtherWorkspace", {
    message: Schema.String
  }, { httpApiStatus: 403, description: "The API key belongs to another workspace than `client_id`" })
{}

export class UsageWorkspaceInactive extends Schema.TaggedError<UsageWorkspaceInactive>()("UsageWorkspaceInactive", {
  message: Schema.String,
  status: Schema.Literals(["frozen", "suspended"])
}, { httpApiStatus: 403, description: "The workspace is frozen or suspended" }) {}

export class UsageSubscriptionRequired
  extends Schema.TaggedError<UsageSubscriptionRequired>()("UsageSubscriptionRequired", {
    message: Schema.String
  }, { httpApiStatus: 402, description: "No current subscription (none, or canceled)" })
{}

export class UsageRateLimited extends Schema.TaggedError<UsageRateLimited>()("UsageRateLimited", {
  message: Schema.String,
  window: Schema.Literals(["minute", "day"]),
  limit: Schema.Int,
  retry_after_seconds: Schema.Int,
  rate_limit: RateLimitInfo
}, { httpApiStatus: 429, description: "The plan's requests per minute or per day are used up" }) {}

export class UsageQuotaExceeded extends Schema.TaggedError<UsageQuotaExceeded>()("UsageQuotaExceeded", {
  message: Schema.String,
  usage_id: Schema.String,
  credits_reserved: Amount,
  rate_limit: Schema.NullOr(RateLimitInfo)
}, { httpApiStatus: 429, description: "The period's credits do not cover the request; stored as denied" }) {}

export class UsageRequestConflict extends Schema.TaggedError<UsageRequestConflict>()("UsageRequestConflict", {
  message: Schema.String,
  request_id: Schema.String
}, { httpApiStatus: 409, description: "The `request_id` was used before with another request" }) {}

export class UsageNotConfigured extends Schema.TaggedError<UsageNotConfigured>()("UsageNotConfigured", {
  message: Schema.String
}, { httpApiStatus: 500, description: "The plan or the feature has no price (checked at start-up)" }) {}

export class UsageUnauthorized extends Schema.TaggedError<UsageUnauthorized>()("UsageUnauthorized", {
  message: Schema.String
}, { httpApiStatus: 401, description: "The internal key, or the user's access token, is missing or wrong" }) {}

export class UsageForbidden extends Schema.TaggedError<UsageForbidden>()("UsageForbidden", {
  message: Schema.String
}, { httpApiStatus: 403, description: "The user's account is deactivated" }) {}

/** Every refusal of an API validation. */
export const ApiValidationErrors = [
  UsageApiKeyMalformed,
  UsageApiKeyRejected,
  UsageApiKeyOfOtherWorkspace,
  UsageWorkspaceInactive,
  UsageSubscriptionRequired,
  UsageRateLimited,
  UsageQuotaExceeded,
  UsageRequestConflict,
  UsageNotConfigured
] as const

/** Every refusal of a Career validation. */
export const CareerValidationErrors = [
  UsageSubscriptionRequired,
  UsageRateLimited,
  UsageQuotaExceeded,
  UsageRequestConflict,
  UsageNotConfigured
] as const
