/**
 * Validating a metered request, for both products and both transports: the caller's key (API) or
 * user (Career), the workspace's status and the current subscription, the plan's rate limits,
 * then one statement that replays a request seen before or reserves the cost and records the
 * usage. Everything before that statement is read from memory (`UsageAccounts`,
 * `PricingCatalog`) and the rate limiter, so a validation costs one round trip to each store.
 */
import type { CareerUsageValidateRequest, FeatureKey, UsageValidateRequest } from "@cuebx/contract"
import { ApiKeyUsage, isUsable } from "@cuebx/workspaces"
import { BigDecimal, Context, DateTime, Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import { fingerprint } from "./Fingerprint.ts"
import { periodAt } from "./Periods.ts"
import { PricingCatalog } from "./PricingCatalog.ts"
import type { PricingRule } from "./PricingRepo.ts"
import { type SubscriptionTerms, UsageAccounts } from "./UsageAccounts.ts"
import { denialReasonOf, UsageDenials } from "./UsageDenials.ts"
import {
  ApiKeyMalformed,
  ApiKeyOfOtherWorkspace,
  ApiKeyRejected,
  type ApiValidationError,
  type CareerValidationError,
  DeniedReplay,
  NoCurrentSubscription,
  NotPriced,
  QuotaExceeded,
  type RateLimitStanding,
  RequestIdReused,
  WorkspaceInactive
} from "./UsageErrors.ts"
import { type LimitedCaller, UsageLimits } from "./UsageLimits.ts"
import { UsageLogsRepo, type UsageOwner } from "./UsageLogsRepo.ts"

/** A granted validation, first or replayed. */
export interface Grant {
  readonly usageId: string
  readonly creditsReserved: BigDecimal.BigDecimal
  readonly isTestKey: boolean
  /** Credits left in the period after this reservation; `null` for a test key or a replay. */
  readonly remaining: BigDecimal.BigDecimal | null
  readonly replayed: boolean
  /** The rate-limit windows after this request; `null` on a replay, which the reference answers without. */
  readonly limits: RateLimitStanding | null
}

const zero = BigDecimal.fromBigInt(0n)

const isApiKeyShaped = (key: string) =>
  (key.startsWith("cbx_live_") || key.startsWith("cbx_test_")) && key.length > "cbx_live_".length

/** `ws_<32 hex>` → the workspace's UUID. */
const workspaceIdOf = (clientId: string) => {
  const hex = clientId.slice(3)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

interface Validation {
  readonly owner: UsageOwner
  readonly caller: LimitedCaller
  readonly terms: SubscriptionTerms
  readonly request: CareerUsageValidateRequest | UsageValidateRequest
}

export class UsageValidation extends Context.Service<UsageValidation, {
  validateApi(request: UsageValidateRequest): Effect.Effect<Grant, ApiValidationError>
  validateCareer(userId: string, request: CareerUsageValidateRequest): Effect.Effect<Grant, CareerValidationError>
}>()("@cuebx/usage/UsageValidation") {
  static readonly layer = Layer.effect(
    UsageValidation,
    Effect.gen(function*() {
      const accounts = yield* UsageAccounts
      const pricing = yield* PricingCatalog
      const limits = yield* UsageLimits
      const logs = yield* UsageLogsRepo
      const keyUsage = yield* ApiKeyUsage
      const denials = yield* UsageDenials
      const countDenials =
        (product: "API" | "CAREER") => <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
          Effect.tapError(effect, (error) => denials.count(product, denialReasonOf(error._tag)))

      const ruleOf = Effect.fnUntraced(function*(planId: string, testKey: boolean) {
        const rule = (yield* pricing.current).rule(planId) ?? (yield* pricing.refresh).rule(planId)
        if (rule === undefined) return yield* new NotPriced({ what: "plan", id: planId, testKey, limits: null })
        return rule
      })

      const costOf = Effect.fnUntraced(function*(planId: string, featureKey: FeatureKey, standing: RateLimitStanding) {
        const cost = (yield* pricing.current).cost(planId, featureKey) ??
          (yield* pricing.refresh).cost(planId, featureKey)
        if (cost === undefined) {
          return yield* new NotPriced({ what: "feature", id: featureKey, testKey: false, limits: standing })
        }
        return cost
      })

      /** From the plan's rule on: rate limits, cost, and the one statement that records the usage. */
      const meter = Effect.fnUntraced(function*(validation: Validation, rule: PricingRule, testKey: boolean) {
        const { owner, request, terms } = validation
        const featureKey: FeatureKey = request.feature_key
        const standing = yield* limits.admit(validation.caller, rule)
        const cost = testKey ? zero : yield* costOf(terms.planId, featureKey, standing)
        const now = yield* DateTime.now
        const print = fingerprint({
          endpoint: request.endpoint,
          method: request.method,
          payloadHash: request.payload_hash,
          usageEstimate: request.usage_estimate ?? null,
          featureKey
        })
        const recorded = yield* logs.record({
          id: randomUUID(),
          owner,
          requestId: request.request_id,
          fingerprint: print,
          featureKey,
          endpoint: request.endpoint,
          method: request.method,
          clientIp: request.client?.ip ?? null,
          clientUserAgent: request.client?.user_agent ?? null,
          usageEstimate: request.usage_estimate === undefined || request.usage_estimate === null ? null : {
            input_chars: request.usage_estimate.input_chars ?? null,
            max_output_tokens: request.usage_estimate.max_output_tokens ?? null,
            model: request.usage_estimate.model ?? null
          },
          cost,
          reserve: !testKey,
          period: periodAt(terms.period, now),
          allowance: rule.creditsAllocation,
          createdAt: now
        })
        switch (recorded._tag) {
          case "Granted":
            return {
              usageId: recorded.usageId,
              creditsReserved: cost,
              isTestKey: testKey,
              remaining: recorded.granted === null
                ? null
                : BigDecimal.subtract(recorded.allowance ?? rule.creditsAllocation, recorded.granted),
              replayed: false,
              limits: standing
            }
          case "Denied":
            return yield* new QuotaExceeded({
              usageId: recorded.usageId,
              used: recorded.used,
              allowance: recorded.allowance,
              cost,
              limits: standing
            })
          case "Seen":
            if (recorded.fingerprint !== print) return yield* new RequestIdReused({ requestId: request.request_id })
            if (recorded.access === "denied") {
              return yield* new DeniedReplay({
                usageId: recorded.usageId,
                cost: recorded.creditsReserved,
                isTestKey: recorded.isTestKey
              })
            }
            return {
              usageId: recorded.usageId,
              creditsReserved: recorded.creditsReserved,
              isTestKey: recorded.isTestKey,
              remaining: null,
              replayed: true,
              limits: null
            }
        }
      })

      return UsageValidation.of({
        validateApi: Effect.fnUntraced(function*(request) {
          if (!isApiKeyShaped(request.api_key)) return yield* new ApiKeyMalformed()
          const workspaceId = workspaceIdOf(request.client_id)
          const key = yield* accounts.apiKey(request.api_key)
          if (Option.isNone(key) || !isUsable(key.value, yield* DateTime.now)) return yield* new ApiKeyRejected()
          if (key.value.workspaceId !== workspaceId) return yield* new ApiKeyOfOtherWorkspace({ workspaceId })
          yield* keyUsage.record(key.value.id)
          const account = yield* accounts.workspace(workspaceId)
          if (Option.isNone(account)) return yield* new ApiKeyRejected()
          const { status, subscription } = account.value
          if (status !== "active") return yield* new WorkspaceInactive({ workspaceId, status })
          if (subscription === null) return yield* new NoCurrentSubscription({ product: "API", ownerId: workspaceId })
          const testKey = key.value.isTestKey
          const rule = yield* ruleOf(subscription.planId, testKey)
          return yield* meter(
            {
              owner: { product: "API", workspaceId, apiKeyId: key.value.id, isTestKey: testKey },
              caller: { product: "API", ownerId: workspaceId, testKey },
              terms: subscription,
              request
            },
            rule,
            testKey
          )
        }, countDenials("API")),
        validateCareer: Effect.fnUntraced(function*(userId, request) {
          const subscription = yield* accounts.careerSubscription(userId)
          if (subscription === null) return yield* new NoCurrentSubscription({ product: "CAREER", ownerId: userId })
          const rule = yield* ruleOf(subscription.planId, false)
          return yield* meter(
            {
              owner: { product: "CAREER", userId, subscriptionId: subscription.subscriptionId },
              caller: { product: "CAREER", ownerId: userId, testKey: false },
              terms: subscription,
              request
            },
            rule,
            false
          )
        }, countDenials("CAREER"))
      })
    })
  )
}
