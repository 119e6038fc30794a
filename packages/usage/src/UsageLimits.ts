/**
 * The plan's request limits of a metered caller, per minute and per day, on the shared
 * sliding-window limiter: one atomic round trip counts a request in both windows, and only when
 * both admit it. Test keys have their own buckets, so testing never eats the live budget.
 * Losing the limiter's data (a Redis restart) can only reset a window, never credits.
 */
import { type RateLimitDecision, RateLimiter } from "@cuebx/ratelimit"
import { Clock, Context, Duration, Effect, Layer } from "effect"
import type { PricingRule } from "./PricingRepo.ts"
import { RateLimited, type RateLimitStanding, type WindowStanding } from "./UsageErrors.ts"

/** Whose budget a request counts against. */
export interface LimitedCaller {
  readonly product: "API" | "CAREER"
  /** The workspace (API) or the user (Career). */
  readonly ownerId: string
  readonly testKey: boolean
}

const windows = [
  { name: "minute", length: Duration.minutes(1), limitOf: (rule: PricingRule) => rule.rateLimitPerMinute },
  { name: "day", length: Duration.days(1), limitOf: (rule: PricingRule) => rule.rateLimitPerDay }
] as const

/** Bucket keys in the reference's shape (`rate_limit:{workspace}:min`), with test keys apart. */
const bucketOf = (caller: LimitedCaller, window: "minute" | "day") =>
  caller.product === "API"
    ? `usage:${caller.ownerId}:${caller.testKey ? "test" : "live"}:${window}`
    : `usage:career:${caller.ownerId}:${window}`

export const noLimits: RateLimitStanding = { minute: null, day: null }

export class UsageLimits extends Context.Service<UsageLimits, {
  /** Counts the request if both windows admit it; fails with the first (minute before day) that does not. */
  admit(caller: LimitedCaller, rule: PricingRule): Effect.Effect<RateLimitStanding, RateLimited>
}>()("@cuebx/usage/UsageLimits") {
  static readonly layer = Layer.effect(
    UsageLimits,
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      return UsageLimits.of({
        admit: Effect.fnUntraced(function*(caller, rule) {
          const limited = windows.flatMap((window) => {
            const limit = window.limitOf(rule)
            return limit === null ? [] : [{ window, limit }]
          })
          if (limited.length === 0) return noLimits
          const decisions = yield* limiter.consumeAll(limited.map(({ limit, window }) => ({
            key: bucketOf(caller, window.name),
            rule: { limit, window: window.length }
          })))
          const nowSeconds = Math.floor((yield* Clock.currentTimeMillis) / 1000)
          const standingOf = (decision: RateLimitDecision): WindowStanding => ({
            limit: decision.limit,
            remaining: decision.remaining,
            resetAt: nowSeconds + decision.resetSeconds
          })
          const standing: { minute: WindowStanding | null; day: WindowStanding | null } = { minute: null, day: null }
          let refusal: RateLimited | undefined
          for (const [index, { window }] of limited.entries()) {
            const decision = decisions[index]
            if (decision === undefined) return yield* Effect.die(new Error("the rate limiter skipped a rule"))
            standing[window.name] = standingOf(decision)
            refusal ??= decision.allowed ? undefined : new RateLimited({
              testKey: caller.testKey,
              window: window.name,
              limit: decision.limit,
              retryAfterSeconds: decision.retryAfterSeconds,
              limits: standing
            })
          }
          if (refusal !== undefined) return yield* refusal
          return standing
        })
      })
    })
  )
}
