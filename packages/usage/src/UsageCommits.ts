/**
 * Committing a validated usage, for both products, both transports and the queues: `success`
 * charges the reservation, a failure releases it, exactly once (the row's PENDING → terminal
 * transition, in one statement); a repeated, late or foreign commit changes nothing and says
 * what the usage is. A charged Career usage keeps its `result_data` in the user's history.
 */
import { OtpHmacSecret } from "@cuebx/config"
import type { CareerUsageCommitRequest, UsageCommitRequest } from "@cuebx/contract"
import { apiKeyHash } from "@cuebx/workspaces"
import { Context, DateTime, Effect, Layer } from "effect"
import { type Settled, type Settlement, UsageLogsRepo, type UsageStatus } from "./UsageLogsRepo.ts"

/** What a commit did, or why it did nothing. */
export type CommitOutcome =
  | { readonly _tag: "ApiKeyMalformed" }
  | { readonly _tag: "ApiKeyUnknown" }
  | { readonly _tag: "UsageUnknown" }
  | { readonly _tag: "NotOwner"; readonly product: "API" | "CAREER" }
  | { readonly _tag: "Committed"; readonly success: boolean }
  /** It was settled before: SUCCESS or FAILED by an earlier commit, EXPIRED, or DENIED at validation. */
  | { readonly _tag: "AlreadySettled"; readonly status: Exclude<UsageStatus, "PENDING"> }

const isApiKeyShaped = (key: string) =>
  (key.startsWith("cbx_live_") || key.startsWith("cbx_test_")) && key.length > "cbx_live_".length

const outcomeOf = (product: "API" | "CAREER", settled: Settled, success: boolean): CommitOutcome => {
  if (settled.previousStatus === null) return { _tag: "UsageUnknown" }
  if (!settled.owned) return { _tag: "NotOwner", product }
  if (settled.settled) return { _tag: "Committed", success }
  // Still PENDING only if something that is not a commit holds it; it is settled by now either way.
  return { _tag: "AlreadySettled", status: settled.previousStatus === "PENDING" ? "EXPIRED" : settled.previousStatus }
}

const settlementOf = (
  request: UsageCommitRequest | CareerUsageCommitRequest,
  at: DateTime.Utc
): Settlement => ({
  usageId: request.usage_id,
  success: request.success,
  at,
  modelUsed: request.metrics?.model_used ?? null,
  inputTokens: request.metrics?.input_tokens ?? null,
  outputTokens: request.metrics?.output_tokens ?? null,
  latencyMs: request.metrics?.latency_ms ?? null,
  failureType: request.failure?.failure_type ?? null,
  failureReason: request.failure?.reason ?? null
})

/** The reference's answers, word for word where it had one. */
export const commitAnswer = (outcome: CommitOutcome): { readonly success: boolean; readonly message: string } => {
  switch (outcome._tag) {
    case "ApiKeyMalformed":
      return { success: true, message: "Invalid API key format, but operation is idempotent." }
    case "ApiKeyUnknown":
      return { success: true, message: "API key not found, but operation is idempotent." }
    case "UsageUnknown":
      return { success: true, message: "Usage log not found, but operation is idempotent." }
    case "NotOwner":
      return {
        success: false,
        message: outcome.product === "API"
          ? "API key does not own this usage log."
          : "User does not own this usage log."
      }
    case "Committed":
      return { success: true, message: `Usage committed as ${outcome.success ? "SUCCESS" : "FAILED"}.` }
    case "AlreadySettled":
      switch (outcome.status) {
        case "SUCCESS":
        case "FAILED":
          return { success: true, message: `Usage already committed as ${outcome.status}.` }
        case "EXPIRED":
          return { success: false, message: "Usage expired before it was committed: nothing was charged." }
        case "DENIED":
          return { success: false, message: "Usage was denied at validation: there is nothing to commit." }
      }
  }
}

export class UsageCommits extends Context.Service<UsageCommits, {
  commitApi(request: UsageCommitRequest): Effect.Effect<CommitOutcome>
  commitCareer(request: CareerUsageCommitRequest): Effect.Effect<CommitOutcome>
}>()("@cuebx/usage/UsageCommits") {
  static readonly layer = Layer.effect(
    UsageCommits,
    Effect.gen(function*() {
      const logs = yield* UsageLogsRepo
      const hmacSecret = yield* OtpHmacSecret.config
      return UsageCommits.of({
        commitApi: Effect.fnUntraced(function*(request) {
          if (!isApiKeyShaped(request.api_key)) return { _tag: "ApiKeyMalformed" } as const
          const settled = yield* logs.settleApi(
            apiKeyHash(hmacSecret, request.api_key),
            settlementOf(request, yield* DateTime.now)
          )
          if (!settled.keyFound) return { _tag: "ApiKeyUnknown" } as const
          return outcomeOf("API", settled, request.success)
        }),
        commitCareer: Effect.fnUntraced(function*(request) {
          const result = request.result_data ?? null
          const settled = yield* logs.settleCareer(request.user_id, {
            ...settlementOf(request, yield* DateTime.now),
            // Only a charged usage keeps a result, and an empty one is not kept (as in the reference).
            resultData: request.success && result !== null && Object.keys(result).length > 0
              ? JSON.stringify(result)
              : null
          })
          return outcomeOf("CAREER", settled, request.success)
        })
      })
    })
  )
}
