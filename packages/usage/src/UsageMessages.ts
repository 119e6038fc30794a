/**
 * The reference's messages of validate and commit, word for word, shared by both transports
 * (amounts with two decimals).
 */
import { formatAmount } from "@cuebx/contract"
import type { BigDecimal } from "effect"

export const usageMessages = {
  granted: (remaining: BigDecimal.BigDecimal) =>
    `Access granted. ${formatAmount(remaining)} credits remaining after this request.`,
  grantedTestKey: "Access granted (test key - no credits charged).",
  replayed: (access: "granted" | "denied") => `Request already processed (idempotent). Access: ${access}`,
  quotaExceeded: (used: BigDecimal.BigDecimal, allowance: BigDecimal.BigDecimal, cost: BigDecimal.BigDecimal) =>
    `Quota exceeded. Used ${formatAmount(used)}/${formatAmount(allowance)} credits. ` +
    `This request requires ${formatAmount(cost)} credits.`,
  rateLimited: (limit: number, window: "minute" | "day", retryAfterSeconds: number) =>
    `Rate limit exceeded. Limit: ${limit} requests/${window}. Try again in ${retryAfterSeconds} seconds.`,
  apiKeyMalformed: "Invalid API key format.",
  apiKeyRejected: "API key not found, expired, or revoked.",
  apiKeyOfOtherWorkspace: "API key does not belong to the specified workspace.",
  workspaceFrozen: "Workspace is frozen. Please renew subscription.",
  workspaceSuspended: "Workspace is suspended. Please contact support.",
  noApiSubscription: "No active subscription found for this workspace.",
  noCareerSubscription: "No active career subscription found.",
  notPriced: "Service configuration error. Please contact support.",
  requestIdReused: "This request_id was already used with a different request.",
  missingInternalKey: "Missing X-Internal-API-Key header.",
  invalidInternalKey: "Invalid internal API key."
} as const
