/**
 * Expiring usage that was validated but never committed within
 * `USAGE_LOG_PENDING_TIMEOUT_MINUTES`: its reservation goes back to the quota. Race-safe with a
 * late commit: whichever moves the row out of PENDING first wins, so a usage is either charged
 * or released, never both. The two scheduler jobs run it for each product.
 */
import { defineJob } from "@cuebx/jobs"
import { Context, DateTime, Effect, Layer } from "effect"
import { type Product, UsageLogsRepo } from "./UsageLogsRepo.ts"
import { UsageSettings } from "./UsageSettings.ts"

/** Rows expired per statement, so a backlog never makes one long transaction. */
const batchSize = 1000

export class UsageExpiry extends Context.Service<UsageExpiry, {
  /** Expires every usage of the product pending for longer than the timeout; returns how many. */
  expirePending(product: Product): Effect.Effect<number>
}>()("@cuebx/usage/UsageExpiry") {
  static readonly layer = Layer.effect(
    UsageExpiry,
    Effect.gen(function*() {
      const logs = yield* UsageLogsRepo
      const { pendingTimeout } = yield* UsageSettings
      return UsageExpiry.of({
        expirePending: Effect.fn("UsageExpiry.expirePending")(function*(product) {
          const now = yield* DateTime.now
          const cutoff = DateTime.subtractDuration(now, pendingTimeout)
          let total = 0
          while (true) {
            const expired = yield* logs.expire(product, cutoff, now, batchSize)
            total += expired
            if (expired < batchSize) return total
          }
        })
      })
    })
  ).pipe(Layer.provide(UsageLogsRepo.layerDirect))
}

const expiryJob = (name: string, product: Product) =>
  defineJob({
    name,
    schedule: "*/5 * * * *",
    run: Effect.gen(function*() {
      const expired = yield* (yield* UsageExpiry).expirePending(product)
      if (expired > 0) yield* Effect.logInfo("Pending usage expired", { product, expired })
    })
  })

export const expirePendingUsageJob = expiryJob("expire-pending-usage", "API")
export const expirePendingCareerUsageJob = expiryJob("expire-pending-career-usage", "CAREER")
