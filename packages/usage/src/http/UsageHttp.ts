/**
 * The REST handlers of metered usage and the Career history: thin, over the services the RPC
 * shares. Validation answers are written by `UsageAnswers`; commits answer the reference's
 * `{success, message}`; the history's refusals go through its own table.
 */
import { BadRequest, CuebxApi, CurrentUser, errorTranslation, NotFound } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { CareerHistory, defaultPageSize, titleOf } from "../CareerHistory.ts"
import type { AnalysisResult } from "../CareerHistoryRepo.ts"
import { commitAnswer, UsageCommits } from "../UsageCommits.ts"
import { UsageValidation } from "../UsageValidation.ts"
import { apiRefusalAnswer, careerRefusalAnswer, grantAnswer } from "./UsageAnswers.ts"

const historyErrors = errorTranslation({
  HistoryEntryNotFound: () => new NotFound({ detail: "Analysis result not found." }),
  UnknownCursor: () => new BadRequest({ detail: "Invalid cursor: `before` is not one of your analysis results." })
})

const historyItem = (result: AnalysisResult) => ({
  id: result.id,
  feature_key: result.featureKey,
  title: result.title ?? titleOf(result.featureKey),
  result_data: result.resultData,
  created_at: result.createdAt
})

export const UsageHttp = HttpApiBuilder.group(
  CuebxApi,
  "usage",
  Effect.fn(function*(handlers) {
    const validation = yield* UsageValidation
    const commits = yield* UsageCommits
    return handlers
      .handle("validateUsage", ({ payload }) =>
        validation.validateApi(payload).pipe(
          Effect.match({ onSuccess: (grant) => grantAnswer({ product: "API" }, grant), onFailure: apiRefusalAnswer })
        ))
      .handle("commitUsage", ({ payload }) => Effect.map(commits.commitApi(payload), commitAnswer))
  })
)

export const CareerUsageHttp = HttpApiBuilder.group(
  CuebxApi,
  "careerUsage",
  Effect.fn(function*(handlers) {
    const validation = yield* UsageValidation
    const commits = yield* UsageCommits
    return handlers
      .handle("validateCareerUsage", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return yield* validation.validateCareer(user.id, payload).pipe(
            Effect.match({
              onSuccess: (grant) => grantAnswer({ product: "CAREER", userId: user.id }, grant),
              onFailure: careerRefusalAnswer(user.id)
            })
          )
        }))
      .handle("commitCareerUsage", ({ payload }) => Effect.map(commits.commitCareer(payload), commitAnswer))
  })
)

export const CareerHistoryHttp = HttpApiBuilder.group(
  CuebxApi,
  "careerHistory",
  Effect.fn(function*(handlers) {
    const history = yield* CareerHistory
    return handlers
      .handle("listHistory", ({ query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const page = yield* history.list(user.id, {
            featureKey: query.feature_key ?? null,
            limit: query.limit ?? defaultPageSize,
            before: query.before ?? null
          }).pipe(Effect.mapError(historyErrors))
          return {
            items: page.items.map(historyItem),
            next_cursor: page.nextCursor,
            has_more: page.nextCursor !== null
          }
        }))
      .handle("getHistoryEntry", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const result = yield* history.get(user.id, params.result_id).pipe(Effect.mapError(historyErrors))
          return { ...historyItem(result), usage_log_id: result.usageLogId }
        }))
      .handle("deleteHistoryEntry", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* history.remove(user.id, params.result_id).pipe(Effect.mapError(historyErrors))
          return HttpServerResponse.empty({ status: 204 })
        }))
  })
)
