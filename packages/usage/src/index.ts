/**
 * `@cuebx/usage`: metered usage of both products (validate and commit over REST, typed RPC and
 * the queues, quotas per billing period, rate limits, idempotency), the expiry of pending usage,
 * and the Career analysis history.
 */
export * from "./CareerHistory.ts"
export * from "./CareerHistoryRepo.ts"
export * from "./CreditAdjustments.ts"
export * from "./Fingerprint.ts"
export * from "./Periods.ts"
export * from "./PricingCatalog.ts"
export * from "./rpc/UsageRpc.ts"
export * from "./UsageAccounts.ts"
export * from "./UsageCommits.ts"
export * from "./UsageConsumers.ts"
export * from "./UsageDenials.ts"
export * from "./UsageDirectory.ts"
export * from "./UsageErrors.ts"
export * from "./UsageExpiry.ts"
export * from "./UsageLive.ts"
export * from "./UsageLogsRepo.ts"
export * from "./UsageSettings.ts"
export * from "./UsageValidation.ts"
