/**
 * Billing's errors on HTTP: each domain error and the wire error it becomes, with the reference's
 * texts (they name the product asked for).
 */
import { errorTranslation, NotFound } from "@cuebx/contract"
import type { PlanNotFound, PlanOfOtherProduct } from "../Plans.ts"

export const billingErrorToWire = errorTranslation({
  PlanNotFound: (error: PlanNotFound) =>
    new NotFound({ detail: error.product === "API" ? "Plan not found." : "Career plan not found." }),
  PlanOfOtherProduct: (error: PlanOfOtherProduct) =>
    new NotFound({ detail: error.product === "API" ? "Plan is not an API plan." : "Plan is not a Career plan." })
})
