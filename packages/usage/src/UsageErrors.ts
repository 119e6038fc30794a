/**
 * Why metered usage refuses a validation, as data: each transport (REST, RPC) translates these
 * in its own table. Refusals that come after the rate limit was counted carry the windows'
 * standing, which the REST answer shows in its headers.
 */
import { Schema } from "effect"

/** One rate-limit window as a validation left it. */
export const WindowStanding = Schema.Struct({
  limit: Schema.Int,
  remaining: Schema.Int,
  /** Unix seconds when every request counted in it will have aged out. */
  resetAt: Schema.Int
})
export type WindowStanding = typeof WindowStanding.Type

/** The plan's windows; `null` for one it does not limit. */
export const RateLimitStanding = Schema.Struct({
  minute: Schema.NullOr(WindowStanding),
  day: Schema.NullOr(WindowStanding)
})
export type RateLimitStanding = typeof RateLimitStanding.Type

export class ApiKeyMalformed extends Schema.TaggedError<ApiKeyMalformed>()("ApiKeyMalformed", {}) {}

/** Unknown, expired or revoked (or its workspace deleted). */
export class ApiKeyRejected extends Schema.TaggedError<ApiKeyRejected>()("ApiKeyRejected", {}) {}

export class ApiKeyOfOtherWorkspace extends Schema.TaggedError<ApiKeyOfOtherWorkspace>()("ApiKeyOfOtherWorkspace", {
  workspaceId: Schema.String
}) {}

export class WorkspaceInactive extends Schema.TaggedError<WorkspaceInactive>()("WorkspaceInactive", {
  workspaceId: Schema.String,
  status: Schema.Literals(["frozen", "suspended"])
}) {}

/** No subscription, or one that no longer gives its plan (canceled, ended). */
export class NoCurrentSubscription extends Schema.TaggedError<NoCurrentSubscription>()("NoCurrentSubscription", {
  product: Schema.Literals(["API", "CAREER"]),
  ownerId: Schema.String
}) {}

/** The plan has no pricing rule, or the feature no cost: `cuebx sync-plans` loads both. */
export class NotPriced extends Schema.TaggedError<NotPriced>()("NotPriced", {
  what: Schema.Literals(["plan", "feature"]),
  id: Schema.String,
  testKey: Schema.Boolean,
  limits: Schema.NullOr(RateLimitStanding)
}) {}

export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  testKey: Schema.Boolean,
  window: Schema.Literals(["minute", "day"]),
  limit: Schema.Int,
  retryAfterSeconds: Schema.Int,
  limits: RateLimitStanding
}) {}

/** The period's credits do not cover the cost; the request is stored as denied (`usageId`). */
export class QuotaExceeded extends Schema.TaggedError<QuotaExceeded>()("QuotaExceeded", {
  usageId: Schema.String,
  used: Schema.BigDecimal,
  allowance: Schema.BigDecimal,
  cost: Schema.BigDecimal,
  limits: RateLimitStanding
}) {}

/** A repeated request whose first answer was a quota refusal: the refusal again. */
export class DeniedReplay extends Schema.TaggedError<DeniedReplay>()("DeniedReplay", {
  usageId: Schema.String,
  cost: Schema.BigDecimal,
  isTestKey: Schema.Boolean
}) {}

/** The `request_id` was used before, with another request (another fingerprint). */
export class RequestIdReused extends Schema.TaggedError<RequestIdReused>()("RequestIdReused", {
  requestId: Schema.String
}) {}

export type ApiValidationError =
  | ApiKeyMalformed
  | ApiKeyRejected
  | ApiKeyOfOtherWorkspace
  | WorkspaceInactive
  | NoCurrentSubscription
  | NotPriced
  | RateLimited
  | QuotaExceeded
  | DeniedReplay
  | RequestIdReused

export type CareerValidationError =
  | NoCurrentSubscription
  | NotPriced
  | RateLimited
  | QuotaExceeded
  | DeniedReplay
  | RequestIdReused
