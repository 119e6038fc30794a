/**
 * Handlers of the public plan catalogue, for both products.
 */
import { CuebxApi, type ProductType } from "@cuebx/contract"
import { RequestLimits } from "@cuebx/ratelimit"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Plans } from "../Plans.ts"
import { billingErrorToWire } from "./BillingErrors.ts"
import { planResponse } from "./BillingResponses.ts"

export const PlansHttp = HttpApiBuilder.group(
  CuebxApi,
  "plans",
  Effect.fn(function*(handlers) {
    const plans = yield* Plans
    const limits = yield* RequestLimits

    const list = (product: ProductType) =>
      Effect.map(plans.listActive(product), (active) => ({ plans: active.map(planResponse) }))

    const get = (product: ProductType, id: string) =>
      plans.findActive(product, id).pipe(Effect.map(planResponse), Effect.mapError(billingErrorToWire))

    return handlers
      .handle(
        "listApiPlans",
        () => limits.byIp("plans.list", { limit: 30, window: "1 minute" }).pipe(Effect.andThen(list("API")))
      )
      .handle("getApiPlan", ({ params }) => get("API", params.plan_id))
      .handle("listCareerPlans", () => list("CAREER"))
      .handle("getCareerPlan", ({ params }) => get("CAREER", params.plan_id))
  })
)
