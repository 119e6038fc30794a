/**
 * Handlers of the signed-in user's Career subscription.
 */
import { CuebxApi, CurrentUser } from "@cuebx/contract"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Subscriptions } from "../Subscriptions.ts"
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
          const current = yield* subscriptions.currentOfUser(user.id)
          return Option.match(current, { onNone: () => null, onSome: careerSubscriptionResponse })
        }))
      .handle("activateCareerSubscription", () =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          return careerSubscriptionResponse(yield* subscriptions.ensureCareer(user.id))
        }))
  })
)
