/**
 * Plans of both products in the panel: the catalogue (filtered by product, state and name, with
 * each plan's active subscriptions), one plan with its Stripe product and prices, its pricing
 * rule and the form that edits it, and the form of a new plan. The forms post to
 * `PlanActions.ts`, which goes through the plan administration the admin API uses.
 */
import { type AdminPlan, PlanAdmin, SubscriptionDirectory } from "@cuebx/billing"
import { isUuid } from "@cuebx/db"
import { Effect, Option } from "effect"
import { checkboxInput, editForm, selectInput, textArea, textInput } from "../PanelForms.ts"
import {
  actionForm,
  amount,
  badge,
  details,
  filterForm,
  type Flash,
  html,
  link,
  page,
  pager,
  type SafeHtml,
  table,
  when
} from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { flashOf, htmlResponse, type OperatorRequest, pageOf, pathParam, queryOf, signedIn } from "../PanelRequests.ts"
import { notFound, oneOf, pageSize, productName, productOptions, queryText } from "./PageParts.ts"

const products = productOptions.map(([value]) => value)
const states = ["active", "inactive", "deleted"] as const

/** What the form fields show, by name: a plan's values, or what the operator typed. */
export type PlanFormValues = Readonly<Record<string, string | undefined>>

export interface FormFailure {
  readonly flash: Flash
  readonly status: number
  /** What the operator typed; the plan's (or the defaults) when absent. */
  readonly values?: PlanFormValues
}

const notices: Readonly<Record<string, Flash>> = {
  created: { kind: "ok", text: "The plan is created, with its Stripe product and prices." },
  updated: { kind: "ok", text: "The plan is saved; Stripe follows its new values." },
  archived: { kind: "ok", text: "The plan is archived: hidden from the catalogue, its Stripe objects archived." }
}

const stateOf = (plan: AdminPlan) => plan.isDeleted ? "deleted" : plan.isActive ? "active" : "inactive"

const stateBadge = (plan: AdminPlan) => {
  const state = stateOf(plan)
  return badge(state, state === "active" ? "good" : state === "inactive" ? "warn" : "bad")
}

export const valuesOfPlan = (plan: AdminPlan): PlanFormValues => ({
  name: plan.name,
  description: plan.description ?? "",
  price: amount(plan.price),
  display_price: plan.displayPrice ?? "",
  seat_price: amount(plan.seatPrice),
  seat_display_price: plan.seatDisplayPrice ?? "",
  currency: plan.currency,
  billing_period: plan.billingPeriod,
  rank: String(plan.rank),
  trial_days: plan.trialDays === null ? "" : String(plan.trialDays),
  features: JSON.stringify(plan.features, null, 2),
  max_seats: plan.maxSeats === null ? "" : String(plan.maxSeats),
  min_seats: String(plan.minSeats),
  is_active: plan.isActive ? "true" : ""
})

const newPlanDefaults: PlanFormValues = {
  product_type: "API",
  type: "paid",
  currency: "usd",
  billing_period: "month",
  min_seats: "1",
  seat_price: "0.00",
  credits_allocation: "0.00",
  features: "[]",
  is_active: "true"
}

/** The fields both forms share: what `PlanAdmin.update` can change. */
const editableFields = (values: PlanFormValues): ReadonlyArray<SafeHtml> => [
  textInput({ name: "name", label: "Name", value: values["name"], required: true, maxLength: 128 }),
  textInput({ name: "rank", label: "Rank (tier order)", value: values["rank"], required: true, type: "number" }),
  textInput({ name: "price", label: "Price per period", value: values["price"], required: true, hint: "e.g. 29.00" }),
  textInput({ name: "display_price", label: "Display price", value: values["display_price"], hint: "e.g. $29/month" }),
  textInput({ name: "seat_price", label: "Price per seat", value: values["seat_price"] }),
  textInput({ name: "seat_display_price", label: "Display seat price", value: values["seat_display_price"] }),
  textInput({ name: "currency", label: "Currency", value: values["currency"], hint: "ISO 4217, lower case" }),
  selectInput({
    name: "billing_period",
    label: "Billing period",
    value: values["billing_period"],
    options: [["month", "month"], ["year", "year"]]
  }),
  textInput({ name: "min_seats", label: "Minimum seats", value: values["min_seats"], type: "number" }),
  textInput({
    name: "max_seats",
    label: "Maximum seats",
    value: values["max_seats"],
    type: "number",
    hint: "blank: no limit"
  }),
  textInput({ name: "trial_days", label: "Trial days", value: values["trial_days"], type: "number" }),
  checkboxInput({ name: "is_active", label: "Offered (active)", checked: values["is_active"] === "true" }),
  textArea({ name: "description", label: "Description", value: values["description"], rows: 3 }),
  textArea({ name: "features", label: "Features (JSON)", value: values["features"], rows: 6 })
]

/** GET /admin/plans */
export const planList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const query = queryOf(request)
    const product = oneOf(products, query.get("product"))
    const state = oneOf(states, query.get("state"))
    const text = queryText(query, "q")
    const current = pageOf(request)
    const [plans, active] = yield* Effect.all([
      (yield* PlanAdmin).list(product),
      (yield* SubscriptionDirectory).activeByPlan
    ])
    const subscribers = new Map(active.map((row) => [row.planId, row.subscriptions]))
    const matching = plans.filter((plan) =>
      (state === undefined || stateOf(plan) === state) &&
      (text === undefined || plan.name.toLowerCase().includes(text.toLowerCase()))
    )
    const shown = matching.slice((current - 1) * pageSize, current * pageSize)
    return htmlResponse(page({
      title: "Plans",
      operator,
      nav: panelNav,
      current: "/admin/plans",
      flash: flashOf(request, notices),
      content: html`<p>${link("/admin/plans/new", "New plan")}</p>${
        filterForm("/admin/plans", [
          { kind: "search", name: "q", label: "Name", value: text },
          { kind: "select", name: "product", label: "Product", value: product, options: productOptions },
          { kind: "select", name: "state", label: "State", value: state, options: states.map((s) => [s, s]) }
        ])
      }${
        table(
          ["Name", "Product", "Type", "Price", "Seat price", "Period", "Rank", "State", "Active subscriptions"],
          shown.map((plan) => [
            link(`/admin/plans/${plan.id}`, plan.name),
            productName(plan.productType),
            plan.type,
            `${amount(plan.price)} ${plan.currency.toUpperCase()}`,
            amount(plan.seatPrice),
            plan.billingPeriod,
            plan.rank,
            stateBadge(plan),
            subscribers.get(plan.id) ?? 0
          ])
        )
      }${pager("/admin/plans", { q: text, product, state }, { page: current, pageSize, total: matching.length })}`
    }))
  })
)

/** The plan's page, with the operator's values and error when a change was refused. */
export const planPage = ({ operator, request }: OperatorRequest, id: string, failure?: FormFailure) =>
  Effect.gen(function*() {
    const admin = yield* PlanAdmin
    const found = isUuid(id) ? yield* admin.find(id) : Option.none()
    if (Option.isNone(found)) return notFound(operator, "/admin/plans", "Plan")
    const plan = found.value
    const rule = yield* admin.pricingRule(id)
    const values = failure?.values ?? valuesOfPlan(plan)
    return htmlResponse(
      page({
        title: `${productName(plan.productType)} ${plan.name}`,
        operator,
        nav: panelNav,
        current: "/admin/plans",
        flash: failure?.flash ?? flashOf(request, notices),
        content: html`${
          details([
            ["Id", html`<code>${plan.id}</code>`],
            ["Product", productName(plan.productType)],
            ["Type", plan.type],
            ["State", stateBadge(plan)],
            ["Stripe product", plan.stripeProductId ?? "—"],
            ["Stripe price", plan.stripePriceId ?? "—"],
            ["Stripe seat price", plan.seatStripePriceId ?? "—"],
            ...Option.match(rule, {
              onNone: () => [["Pricing rule", "none"] as const],
              onSome: (pricing) => [
                ["Credits per period", amount(pricing.creditsAllocation)] as const,
                [
                  "Rate limits",
                  `${pricing.rateLimitPerMinute ?? "∞"}/minute, ${pricing.rateLimitPerDay ?? "∞"}/day`
                ] as const
              ]
            }),
            ["Created", when(plan.createdAt)],
            ["Updated", when(plan.updatedAt)]
          ])
        }<p>${link(`/admin/subscriptions?plan=${plan.id}`, "Subscriptions on this plan")} · ${
          link(`/admin/audit?target_type=plan&target_id=${plan.id}`, "Operator actions on this plan")
        }</p>${
          plan.isDeleted ?
            html`<p class="empty">An archived plan cannot be changed.</p>` :
            html`<h2>Edit</h2>${
              editForm(operator, { action: `/admin/plans/${plan.id}`, submit: "Save", fields: editableFields(values) })
            }${
              plan.type === "free" ? "" : actionForm(operator, {
                action: `/admin/plans/${plan.id}/archive`,
                label: "Archive",
                tone: "danger",
                reason: true
              })
            }`
        }`
      }),
      failure?.status ?? 200
    )
  })

/** GET /admin/plans/:id */
export const planDetail = signedIn((operatorRequest) =>
  Effect.flatMap(pathParam("id"), (id) => planPage(operatorRequest, id))
)

/** The new plan's form, with the operator's values and error when it was refused. */
export const newPlanPage = ({ operator }: OperatorRequest, failure?: FormFailure) =>
  Effect.sync(() => {
    const values = failure?.values ?? newPlanDefaults
    return htmlResponse(
      page({
        title: "New plan",
        operator,
        nav: panelNav,
        current: "/admin/plans",
        flash: failure?.flash,
        content: html`<p>A paid plan gets its Stripe product and prices when it is created.</p>${
          editForm(operator, {
            action: "/admin/plans",
            submit: "Create plan",
            fields: [
              selectInput({
                name: "product_type",
                label: "Product",
                value: values["product_type"],
                options: productOptions
              }),
              selectInput({
                name: "type",
                label: "Type",
                value: values["type"],
                options: [["paid", "paid"], ["free", "free"]]
              }),
              ...editableFields(values),
              textInput({
                name: "credits_allocation",
                label: "Credits per period",
                value: values["credits_allocation"]
              }),
              textInput({
                name: "rate_limit_per_minute",
                label: "Requests per minute",
                value: values["rate_limit_per_minute"],
                type: "number",
                hint: "blank: unlimited"
              }),
              textInput({
                name: "rate_limit_per_day",
                label: "Requests per day",
                value: values["rate_limit_per_day"],
                type: "number",
                hint: "blank: unlimited"
              })
            ]
          })
        }`
      }),
      failure?.status ?? 200
    )
  })

/** GET /admin/plans/new */
export const newPlanForm = signedIn((operatorRequest) => newPlanPage(operatorRequest))
