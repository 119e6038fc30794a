/**
 * The usage services wired together for each program: the API validates and commits (REST and
 * RPC) and serves the Career history; the worker applies queued commits; the scheduler expires
 * pending usage. Programs provide the database, the change feed, the rate limiter, and the
 * workspace and billing services the validation reads through.
 */
import { ApiKeyUsage } from "@cuebx/workspaces"
import { Layer } from "effect"
import { AccountsRepo } from "./AccountsRepo.ts"
import { CareerHistory } from "./CareerHistory.ts"
import { CareerHistoryRepo } from "./CareerHistoryRepo.ts"
import { CreditAdjustments } from "./CreditAdjustments.ts"
import { InternalAuthenticationLive } from "./http/InternalAuthenticationLive.ts"
import { CareerHistoryHttp, CareerUsageHttp, UsageHttp } from "./http/UsageHttp.ts"
import { PricingCatalog } from "./PricingCatalog.ts"
import { PricingRepo } from "./PricingRepo.ts"
import { UsageAccounts } from "./UsageAccounts.ts"
import { UsageCommits } from "./UsageCommits.ts"
import { UsageDenials } from "./UsageDenials.ts"
import { UsageDirectory } from "./UsageDirectory.ts"
import { UsageLimits } from "./UsageLimits.ts"
import { UsageLogsRepo } from "./UsageLogsRepo.ts"
import { UsageValidation } from "./UsageValidation.ts"

/**
 * Commits alone, in the caller's transaction: what the queue handlers need. Fresh, because layers
 * are shared by reference: in the API, which also builds `UsageLive`, the handlers would otherwise
 * get its group-committing instance, whose statements wait for a pool connection of their own
 * while the handler's transaction holds one (with the pool full of such handlers, forever).
 */
export const UsageCommitsLive = Layer.fresh(UsageCommits.layer).pipe(Layer.provide(UsageLogsRepo.layerDirect))

/** Validation, commits and the Career history, with their caches; the operators' reads and adjustments. */
export const UsageLive = Layer.mergeAll(
  UsageValidation.layer,
  UsageCommits.layer,
  CareerHistory.layer,
  UsageDirectory.layer,
  CreditAdjustments.layer
).pipe(
  Layer.provideMerge(
    Layer.mergeAll(UsageAccounts.layer, PricingCatalog.layer, UsageLimits.layer, ApiKeyUsage.layer, UsageDenials.layer)
  ),
  Layer.provideMerge(
    Layer.mergeAll(UsageLogsRepo.layer, CareerHistoryRepo.layer, AccountsRepo.layer, PricingRepo.layer)
  )
)

/** The REST handlers of usage and the Career history, with the internal-key middleware. */
export const UsageHttpLive = Layer.mergeAll(UsageHttp, CareerUsageHttp, CareerHistoryHttp).pipe(
  Layer.provide(InternalAuthenticationLive)
)
