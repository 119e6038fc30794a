/**
 * Handlers of the signed-in user's Career subscription.
 */
import { CuebxApi, CurrentUser } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { isCurrent, Subscriptions } from "../Subscriptions.ts"
import { careerSubscriptionResponse } from "./BillingResponses.ts"

export const CareerSubscriptionsHttp = HttpApiBuilder.group(
  CuebxApi,
  "careerSubscriptions",
  Effect.fn(function*(handlers) {
    const subscriptions = yield* Subscriptions
    return handlers
      .handle("getCareerSubscription", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const holding = yield* subscriptions.ofUser(user.id)
          return holding !== undefined && isCurrent(holding.subscription.status)
            ? careerSubscriptionResponse(holding)
            : null
        }))
      .handle("activateCareerSubscription", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return careerSubscriptionResponse(yield* subscriptions.ensureCareer(user.id))
        }))
  })
)
