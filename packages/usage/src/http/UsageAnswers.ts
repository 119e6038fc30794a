/**
 * How the REST endpoints answer a validation: like the reference, in the response model with the
 * refusal's status (§A.1), the rate-limit windows in `X-RateLimit-*` headers and `Retry-After` on
 * a rate-limit refusal. One table per product maps each domain refusal to its answer; the
 * answers are written out directly (the hot path spends no schema encoding on them).
 */
import { errorTranslation, formatAmount } from "@cuebx/contract"
import type { BigDecimal } from "effect"
import { HttpServerResponse } from "effect/http"
import type {
  DeniedReplay,
  NoCurrentSubscription,
  NotPriced,
  QuotaExceeded,
  RateLimited,
  RateLimitStanding,
  RequestIdReused,
  WorkspaceInactive
} from "../UsageErrors.ts"
import { usageMessages } from "../UsageMessages.ts"
import type { Grant } from "../UsageValidation.ts"

/** Who the answer is for: the API model carries `is_test_key`, Career's `user_id`. */
export type Audience = { readonly product: "API" } | { readonly product: "CAREER"; readonly userId: string }

interface Answer {
  readonly status: number
  readonly access: "granted" | "denied"
  readonly message: string
  readonly usageId?: string
  readonly credits?: BigDecimal.BigDecimal
  readonly isTestKey?: boolean
  readonly limits?: RateLimitStanding | null
  readonly retryAfterSeconds?: number
}

/** `X-RateLimit-*` of each window the plan limits. */
export const rateLimitHeaders = (limits: RateLimitStanding | null | undefined): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [window, suffix] of [["minute", "Minute"], ["day", "Day"]] as const) {
    const standing = limits?.[window]
    if (standing === null || standing === undefined) continue
    headers[`x-ratelimit-limit-${suffix.toLowerCase()}`] = String(standing.limit)
    headers[`x-ratelimit-remaining-${suffix.toLowerCase()}`] = String(standing.remaining)
    headers[`x-ratelimit-reset-${suffix.toLowerCase()}`] = String(standing.resetAt)
  }
  return headers
}

const respond = (audience: Audience, answer: Answer) => {
  const common = {
    usage_id: answer.usageId ?? null,
    message: answer.message,
    credits_reserved: answer.credits === undefined ? null : formatAmount(answer.credits)
  }
  const body = audience.product === "API"
    ? { access: answer.access, ...common, is_test_key: answer.isTestKey ?? false }
    : { access: answer.access, user_id: audience.userId, ...common }
  const headers = rateLimitHeaders(answer.limits)
  if (answer.retryAfterSeconds !== undefined) headers["retry-after"] = String(answer.retryAfterSeconds)
  return HttpServerResponse.jsonUnsafe(body, { status: answer.status, headers })
}

export const grantAnswer = (audience: Audience, grant: Grant) =>
  respond(audience, {
    status: 200,
    access: "granted",
    message: grant.replayed
      ? usageMessages.replayed("granted")
      : grant.remaining === null
      ? usageMessages.grantedTestKey
      : usageMessages.granted(grant.remaining),
    usageId: grant.usageId,
    credits: grant.creditsReserved,
    isTestKey: grant.isTestKey,
    limits: grant.limits
  })

const denied = (status: number, message: string, rest: Omit<Answer, "status" | "access" | "message"> = {}) => ({
  status,
  access: "denied" as const,
  message,
  ...rest
})

/** The refusals both products share. */
const sharedRefusals = {
  NoCurrentSubscription: (error: NoCurrentSubscription) =>
    denied(402, error.product === "API" ? usageMessages.noApiSubscription : usageMessages.noCareerSubscription),
  NotPriced: (error: NotPriced) =>
    denied(500, usageMessages.notPriced, { isTestKey: error.testKey, limits: error.limits }),
  RateLimited: (error: RateLimited) =>
    denied(429, usageMessages.rateLimited(error.limit, error.window, error.retryAfterSeconds), {
      isTestKey: error.testKey,
      limits: error.limits,
      retryAfterSeconds: error.retryAfterSeconds
    }),
  QuotaExceeded: (error: QuotaExceeded) =>
    denied(429, usageMessages.quotaExceeded(error.used, error.allowance, error.cost), {
      usageId: error.usageId,
      credits: error.cost,
      limits: error.limits
    }),
  DeniedReplay: (error: DeniedReplay) =>
    denied(429, usageMessages.replayed("denied"), {
      usageId: error.usageId,
      credits: error.cost,
      isTestKey: error.isTestKey
    }),
  RequestIdReused: (error: RequestIdReused) => error
}

const apiRefusal = errorTranslation({
  ...sharedRefusals,
  ApiKeyMalformed: () => denied(400, usageMessages.apiKeyMalformed),
  ApiKeyRejected: () => denied(401, usageMessages.apiKeyRejected),
  ApiKeyOfOtherWorkspace: () => denied(403, usageMessages.apiKeyOfOtherWorkspace),
  WorkspaceInactive: (error: WorkspaceInactive) =>
    denied(403, error.status === "frozen" ? usageMessages.workspaceFrozen : usageMessages.workspaceSuspended)
})

const careerRefusal = errorTranslation(sharedRefusals)

/** 409 in SPEC.md's idempotency shape: `{"detail", "request_id"}`. */
const conflict = (error: RequestIdReused) =>
  HttpServerResponse.jsonUnsafe({ detail: usageMessages.requestIdReused, request_id: error.requestId }, {
    status: 409
  })

const toResponse = (audience: Audience, refusal: Answer | RequestIdReused) =>
  "_tag" in refusal ? conflict(refusal) : respond(audience, refusal)

export const apiRefusalAnswer = (error: Parameters<typeof apiRefusal>[0]) =>
  toResponse({ product: "API" }, apiRefusal(error))

export const careerRefusalAnswer = (userId: string) => (error: Parameters<typeof careerRefusal>[0]) =>
  toResponse({ product: "CAREER", userId }, careerRefusal(error))
