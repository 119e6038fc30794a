/**
 * Billing's periodic job: subscriptions whose period ended without a renewal reaching CueBX (a
 * lost or still delayed webhook) are checked against Stripe. What Stripe says is applied (a
 * renewal moves the period on; an ended subscription falls back to the Free plan, for both
 * products); one Stripe no longer has is expired here. Stripe unreachable leaves it to the next run.
 */
import { transactionWith } from "@cuebx/db"
import { defineJob } from "@cuebx/jobs"
import { DateTime, Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { StripeGateway } from "./stripe/StripeGateway.ts"
import { SubscriptionsRepo } from "./SubscriptionsRepo.ts"
import { SubscriptionState } from "./SubscriptionState.ts"

const batchSize = 100

export const expireSubscriptionsJob = defineJob({
  name: "expire-subscriptions",
  schedule: "7 * * * *",
  run: Effect.gen(function*() {
    const inTransaction = transactionWith(yield* SqlClient.SqlClient)
    const repo = yield* SubscriptionsRepo
    const stripe = yield* StripeGateway
    const state = yield* SubscriptionState
    const due = yield* repo.pastPeriodEnd(yield* DateTime.now, batchSize)
    let expired = 0
    for (const subscription of due) {
      const stripeId = subscription.stripeSubscriptionId
      if (stripeId === null) continue
      const answer = yield* Effect.result(stripe.retrieveSubscription(stripeId))
      if (answer._tag === "Success") {
        yield* inTransaction(state.apply(answer.success, { eventCreated: Option.none() })).pipe(
          Effect.catchCause((cause) => Effect.logWarning("Could not apply an ended period", { stripeId }, cause))
        )
      } else if (answer.failure._tag === "StripeFailed" && answer.failure.isMissing) {
        yield* inTransaction(state.expire(subscription))
        expired++
      } else {
        yield* Effect.logWarning("Stripe unreachable; the ended period is checked again next run", { stripeId })
      }
    }
    if (due.length > 0) yield* Effect.logInfo("Ended periods checked", { checked: due.length, expired })
  })
})
