/**
 * Handlers of the public plan catalogue, for both products.
 */
import { CuebxApi, NotFound } from "@cuebx/contract"
import { RequestLimits } from "@cuebx/ratelimit"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import type { ProductType } from "../FeatureKeys.ts"
import { planResponse, Plans } from "../Plans.ts"

export const PlansHttp = HttpApiBuilder.group(
  CuebxApi,
  "plans",
  Effect.fn(function*(handlers) {
    const plans = yield* Plans
    const limits = yield* RequestLimits

    const list = (product: ProductType) =>
      Effect.map(plans.listActive(product), (active) => ({ plans: active.map(planResponse) }))

    const get = (product: ProductType, id: string) =>
      Effect.gen(function*() {
        const plan = yield* plans.findActive(id)
        const notFound = product === "API" ? "Plan not found." : "Career plan not found."
        if (plan === undefined) return yield* new NotFound({ detail: notFound })
        if (plan.productType !== product) {
          return yield* new NotFound({
            detail: product === "API" ? "Plan is not an API plan." : "Plan is not a Career plan."
          })
        }
        return planResponse(plan)
      })

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
