/**
 * Creating, changing and archiving plans from the panel, through `PlanAdmin`, the plan
 * administration `/admin/api/plans` uses, so Stripe's products and prices follow exactly as
 * they do for the API. The audit entry commits in the transaction that writes the plan; the
 * Stripe calls come before it, as they do for the API. A refused form comes back with what the
 * operator typed and why: 422 for values the API would refuse, 409 for a name or rank taken,
 * 502 when Stripe failed.
 */
import { type AdminPlan, billingErrorToWire, PlanAdmin, type StripeFailed } from "@cuebx/billing"
import { isUuid } from "@cuebx/db"
import { Effect, Option } from "effect"
import type { UrlParams } from "effect/http"
import { newPlanOf, planChangesOf } from "../../http/PlansAdminHttp.ts"
import { AdminAudit } from "../AdminAudit.ts"
import { amount } from "../PanelHtml.ts"
import { type OperatorRequest, pathParam, seeOther, signedInForm } from "../PanelRequests.ts"
import { missingReason, notFound, reasonOf } from "./PageParts.ts"
import { planCreateOf, planUpdateOf } from "./PlanFormInput.ts"
import { type FormFailure, newPlanPage, type PlanFormValues, planPage } from "./PlanPages.ts"

type PlanRefusal =
  | { readonly _tag: "PlanClash"; readonly field: "name" | "rank" }
  | { readonly _tag: "InvalidPlan"; readonly reason: string }
  | StripeFailed

const valuesOfForm = (form: UrlParams.UrlParams): PlanFormValues =>
  Object.fromEntries(
    form.params.flatMap(([name, value]) => name !== "_csrf" && typeof value === "string" ? [[name, value]] : [])
  )

/** The form again with the operator's values (`form`, unless it is not the plan's form) and why it was refused. */
const failure = (text: string, status: number, form?: UrlParams.UrlParams): FormFailure => ({
  flash: { kind: "error", text },
  status,
  ...(form === undefined ? {} : { values: valuesOfForm(form) })
})

/** The refusal's words are the admin API's; its status the panel's (the API answers 400 for an invalid plan). */
const refusalOf = (error: PlanRefusal, form?: UrlParams.UrlParams): FormFailure => {
  const detail = billingErrorToWire(error).detail
  switch (error._tag) {
    case "PlanClash":
      return failure(detail, 409, form)
    case "InvalidPlan":
      return failure(detail, 422, form)
    case "StripeFailed":
      return failure(`Stripe failed, nothing was saved: ${detail}`, 502, form)
  }
}

const auditState = (plan: AdminPlan) => ({
  product_type: plan.productType,
  type: plan.type,
  name: plan.name,
  price: amount(plan.price),
  seat_price: amount(plan.seatPrice),
  currency: plan.currency,
  billing_period: plan.billingPeriod,
  rank: plan.rank,
  min_seats: plan.minSeats,
  max_seats: plan.maxSeats,
  trial_days: plan.trialDays,
  is_active: plan.isActive,
  is_deleted: plan.isDeleted,
  stripe_product_id: plan.stripeProductId,
  stripe_price_id: plan.stripePriceId,
  seat_stripe_price_id: plan.seatStripePriceId
})

/** The audit entry of a plan's write, committed with it. */
const recordAlongside = (
  { clientIp, session }: OperatorRequest,
  action: "plan.create" | "plan.update" | "plan.archive",
  reason: string | null
) =>
  Effect.gen(function*() {
    const audit = yield* AdminAudit
    return (change: { readonly before: AdminPlan | null; readonly after: AdminPlan }) =>
      audit.record({
        actor: session.username,
        action,
        targetType: "plan",
        targetId: change.after.id,
        reason,
        before: change.before === null ? null : auditState(change.before),
        after: auditState(change.after),
        clientIp
      })
  })

/** POST /admin/plans */
export const createPlan = signedInForm((operatorRequest, form) =>
  Effect.gen(function*() {
    const payload = planCreateOf(form)
    if (payload._tag === "Failure") return yield* newPlanPage(operatorRequest, failure(payload.failure, 422, form))
    const alongside = yield* recordAlongside(operatorRequest, "plan.create", null)
    return yield* (yield* PlanAdmin).create(newPlanOf(payload.success), alongside).pipe(
      Effect.map((plan) => seeOther(`/admin/plans/${plan.id}?notice=created`)),
      Effect.catchTags({
        // Only a plan another request deletes meanwhile; a create has none to find.
        AdminPlanNotFound: () => Effect.succeed(notFound(operatorRequest.operator, "/admin/plans", "Plan")),
        PlanClash: (error) => newPlanPage(operatorRequest, refusalOf(error, form)),
        InvalidPlan: (error) => newPlanPage(operatorRequest, refusalOf(error, form)),
        StripeFailed: (error) => newPlanPage(operatorRequest, refusalOf(error, form))
      })
    )
  })
)

/** POST /admin/plans/:id */
export const updatePlan = signedInForm((operatorRequest, form) =>
  Effect.gen(function*() {
    const id = yield* pathParam("id")
    const admin = yield* PlanAdmin
    if (!isUuid(id) || Option.isNone(yield* Effect.option(admin.get(id)))) {
      return notFound(operatorRequest.operator, "/admin/plans", "Plan")
    }
    const payload = planUpdateOf(form)
    if (payload._tag === "Failure") return yield* planPage(operatorRequest, id, failure(payload.failure, 422, form))
    const alongside = yield* recordAlongside(operatorRequest, "plan.update", null)
    return yield* admin.update(id, planChangesOf(payload.success), alongside).pipe(
      Effect.map(() => seeOther(`/admin/plans/${id}?notice=updated`)),
      Effect.catchTags({
        AdminPlanNotFound: () => Effect.succeed(notFound(operatorRequest.operator, "/admin/plans", "Plan")),
        PlanClash: (error) => planPage(operatorRequest, id, refusalOf(error, form)),
        InvalidPlan: (error) => planPage(operatorRequest, id, refusalOf(error, form)),
        StripeFailed: (error) => planPage(operatorRequest, id, refusalOf(error, form))
      })
    )
  })
)

/** POST /admin/plans/:id/archive */
export const archivePlan = signedInForm((operatorRequest, form) =>
  Effect.gen(function*() {
    const id = yield* pathParam("id")
    const admin = yield* PlanAdmin
    if (!isUuid(id) || Option.isNone(yield* Effect.option(admin.get(id)))) {
      return notFound(operatorRequest.operator, "/admin/plans", "Plan")
    }
    const reason = reasonOf(form)
    if (reason === undefined) {
      return yield* planPage(operatorRequest, id, { flash: missingReason, status: 422 })
    }
    const alongside = yield* recordAlongside(operatorRequest, "plan.archive", reason)
    return yield* admin.remove(id, alongside).pipe(
      Effect.map(() => seeOther("/admin/plans?notice=archived")),
      Effect.catchTags({
        AdminPlanNotFound: () => Effect.succeed(notFound(operatorRequest.operator, "/admin/plans", "Plan")),
        PlanClash: (error) => planPage(operatorRequest, id, refusalOf(error)),
        InvalidPlan: (error) => planPage(operatorRequest, id, refusalOf(error)),
        StripeFailed: (error) => planPage(operatorRequest, id, refusalOf(error))
      })
    )
  })
)
