/**
 * The metered-usage surface for internal services (`X-Internal-API-Key`): validate and commit for
 * the API product (the customer's key in the body) and for Career (the user's Bearer token), and
 * the Career analysis history of the signed-in user. A refused validation answers the response
 * model with the refusal's status, plus the rate-limit headers, as the reference did.
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
import { Authentication } from "../auth/AuthApi.ts"
import { doc } from "../Docs.ts"
import { BadRequest, NotFound, UnauthorizedResponse } from "../Errors.ts"
import { Uuid } from "../Ids.ts"
import {
  AnalysisHistoryDetail,
  AnalysisHistoryListResponse,
  AnalysisHistoryQuery,
  CareerUsageCommitRequest,
  CareerUsageValidateRequest,
  CareerUsageValidateResponse,
  UsageCommitRequest,
  UsageCommitResponse,
  UsageValidateRequest,
  UsageValidateResponse
} from "./UsageModels.ts"

/** The shared secret of internal services, compared in constant time with `INTERNAL_API_SECRET`. */
export class InternalAuthentication extends HttpApiMiddleware.Service<InternalAuthentication>()(
  "@cuebx/contract/InternalAuthentication",
  {
    error: UnauthorizedResponse,
    security: { internalApiKey: HttpApiSecurity.apiKey({ in: "header", key: "X-Internal-API-Key" }) }
  }
) {}

/** `{"detail": ...}` 409 of a `request_id` used before with another request. */
export const RequestIdConflict = Schema.Struct({
  detail: Schema.String,
  request_id: Schema.String
}).pipe(HttpApiSchema.status(409)).annotate({ description: "The request_id was used before with another request" })

const refused = <S extends Schema.Top>(model: S, status: number, description: string) =>
  model.pipe(HttpApiSchema.status(status)).annotate({ description })

const rateLimitHeaders = "Granted answers, quota refusals and rate-limit refusals carry `X-RateLimit-Limit-Minute`, " +
  "`-Remaining-Minute`, `-Reset-Minute` (Unix seconds) and the same for `-Day`, for each window the plan limits; " +
  "a rate-limit refusal also carries `Retry-After`."

const replays = "Repeating a `request_id` with the same request replays the first answer and its status (only to " +
  "the same API key or user, and without counting it again); with another request it is 409."

export class UsageApi extends HttpApiGroup.make("usage")
  .add(
    HttpApiEndpoint.post("validateUsage", "/api/internal/usage/validate", {
      payload: UsageValidateRequest,
      success: UsageValidateResponse,
      error: [
        refused(UsageValidateResponse, 400, "The API key is not `cbx_live_…` or `cbx_test_…`"),
        refused(UsageValidateResponse, 401, "The API key is unknown, expired or revoked"),
        refused(UsageValidateResponse, 402, "The workspace has no current subscription"),
        refused(UsageValidateResponse, 403, "The key is another workspace's, or the workspace is frozen or suspended"),
        RequestIdConflict,
        refused(UsageValidateResponse, 429, "Rate limit (with `Retry-After`) or credits of the period exceeded"),
        refused(UsageValidateResponse, 500, "The plan or feature has no price (a start-up check prevents it)")
      ]
    }).annotateMerge(doc(
      "Validate an API key and reserve the credits of a request",
      "Checks the key, its workspace, the plan's rate limits and the credits left in the billing period, then " +
        "reserves the feature's cost (never above the allowance) and returns a `usage_id` to commit. Test keys " +
        `(\`cbx_test_\`) have their own rate limits and reserve nothing. ${replays} ${rateLimitHeaders}`
    )),
    HttpApiEndpoint.post("commitUsage", "/api/internal/usage/commit", {
      payload: UsageCommitRequest,
      success: UsageCommitResponse
    }).annotateMerge(doc(
      "Commit a validated usage",
      "`success: true` charges the reservation, `false` releases it, exactly once: repeating a commit changes " +
        "nothing and says what the usage became. Also accepted as a message on the `usage_commits` queue."
    ))
  )
  .middleware(InternalAuthentication)
  .annotateMerge(OpenApi.annotations({
    title: "Usage (internal)",
    description: "Metered usage of the CueBX API product, for internal services: validate, then commit."
  }))
{}

export class CareerUsageApi extends HttpApiGroup.make("careerUsage")
  .add(
    HttpApiEndpoint.post("validateCareerUsage", "/career/internal/usage/validate", {
      payload: CareerUsageValidateRequest,
      success: CareerUsageValidateResponse,
      error: [
        refused(CareerUsageValidateResponse, 402, "The user has no current Career subscription"),
        RequestIdConflict,
        refused(CareerUsageValidateResponse, 429, "Rate limit (with `Retry-After`) or credits of the period exceeded"),
        refused(CareerUsageValidateResponse, 500, "The plan or feature has no price (a start-up check prevents it)")
      ]
    }).middleware(InternalAuthentication).middleware(Authentication).annotateMerge(doc(
      "Validate a Career user's request and reserve its credits",
      "The user is the Bearer token's. Checks the Career subscription, the plan's rate limits and the credits " +
        `left in the billing period, then reserves the feature's cost. ${replays} ${rateLimitHeaders}`
    )),
    HttpApiEndpoint.post("commitCareerUsage", "/career/internal/usage/commit", {
      payload: CareerUsageCommitRequest,
      success: UsageCommitResponse
    }).middleware(InternalAuthentication).annotateMerge(doc(
      "Commit a validated Career usage",
      "`success: true` charges the reservation and keeps `result_data` in the user's history, `false` releases " +
        "it, exactly once. Also accepted as a message on the `career_usage_commits` queue."
    ))
  )
  .annotateMerge(OpenApi.annotations({
    title: "Career usage (internal)",
    description: "Metered usage of CueBX Career, for internal services: validate, then commit."
  }))
{}

export class CareerHistoryApi extends HttpApiGroup.make("careerHistory")
  .add(
    HttpApiEndpoint.get("listHistory", "/career/history", {
      query: AnalysisHistoryQuery,
      success: AnalysisHistoryListResponse,
      error: BadRequest
    }).annotateMerge(doc(
      "My analysis history",
      "Newest first, `limit` per page (20 by default); `before` is the previous page's `next_cursor` (an unknown " +
        "cursor is 400); `feature_key` keeps one feature."
    )),
    HttpApiEndpoint.get("getHistoryEntry", "/career/history/:result_id", {
      params: { result_id: Uuid },
      success: AnalysisHistoryDetail,
      error: NotFound
    }).annotateMerge(doc("One analysis of my history", "Another user's, or a deleted one, is 404.")),
    HttpApiEndpoint.delete("deleteHistoryEntry", "/career/history/:result_id", {
      params: { result_id: Uuid },
      success: HttpApiSchema.NoContent,
      error: NotFound
    }).annotateMerge(doc("Delete an analysis from my history", "The usage it was charged to is kept."))
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({
    title: "Career history",
    description: "The analyses kept from the signed-in user's Career usage."
  }))
{}
