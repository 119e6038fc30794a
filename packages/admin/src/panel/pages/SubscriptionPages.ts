/**
 * Subscriptions of both products in the panel: a filtered, paged list (by product, status,
 * plan, owner, or a subscription or Stripe id) and one subscription in full with its payments.
 */
import { PaymentsDirectory, PlanAdmin, SubscriptionDirectory } from "@cuebx/billing"
import { SubscriptionStatus } from "@cuebx/contract"
import { Effect, Option } from "effect"
import { amount, badge, details, filterForm, html, link, page, pager, table, when } from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { htmlResponse, pageOf, pathParam, queryOf, signedIn } from "../PanelRequests.ts"
import {
  notFound,
  oneOf,
  ownerLink,
  ownerNames,
  pageSize,
  productName,
  productOptions,
  queryText,
  shortId,
  subscriptionStatusBadge,
  yesNo
} from "./PageParts.ts"

const products = productOptions.map(([value]) => value)

/** GET /admin/subscriptions */
export const subscriptionList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const directory = yield* SubscriptionDirectory
    const query = queryOf(request)
    const product = oneOf(products, query.get("product"))
    const status = oneOf(SubscriptionStatus.literals, query.get("status"))
    const planId = queryText(query, "plan")
    const owner = queryText(query, "owner")
    const text = queryText(query, "q")
    const current = pageOf(request)
    const [result, plans] = yield* Effect.all([
      directory.search({
        product,
        status,
        planId,
        ownerId: owner,
        text,
        limit: pageSize,
        offset: (current - 1) * pageSize
      }),
      (yield* PlanAdmin).list(undefined)
    ])
    const names = yield* ownerNames(result.items.map((item) => ({ product: item.productType, ownerId: item.ownerId })))
    return htmlResponse(page({
      title: "Subscriptions",
      operator,
      nav: panelNav,
      current: "/admin/subscriptions",
      content: html`${
        filterForm("/admin/subscriptions", [
          { kind: "search", name: "q", label: "Id or Stripe id", value: text },
          { kind: "select", name: "product", label: "Product", value: product, options: productOptions },
          {
            kind: "select",
            name: "status",
            label: "Status",
            value: status,
            options: SubscriptionStatus.literals.map((s) => [s, s])
          },
          {
            kind: "select",
            name: "plan",
            label: "Plan",
            value: planId,
            options: plans.map((plan) => [plan.id, `${productName(plan.productType)} ${plan.name}`])
          },
          { kind: "search", name: "owner", label: "Owner id", value: owner }
        ])
      }${
        table(
          ["Subscription", "Owner", "Product", "Plan", "Status", "Seats", "Period ends", "Current", "Created"],
          result.items.map((subscription) => [
            link(`/admin/subscriptions/${subscription.id}`, shortId(subscription.id)),
            ownerLink(subscription.productType, subscription.ownerId, names),
            productName(subscription.productType),
            link(`/admin/plans/${subscription.planId}`, subscription.planName),
            subscriptionStatusBadge(subscription.status),
            subscription.seatCount,
            when(subscription.currentPeriodEnd),
            subscription.isCurrent ? badge("current", "good") : "—",
            when(subscription.createdAt)
          ])
        )
      }${
        pager("/admin/subscriptions", { q: text, product, status, plan: planId, owner }, {
          page: current,
          pageSize,
          total: result.total
        })
      }`
    }))
  })
)

/** GET /admin/subscriptions/:id */
export const subscriptionDetail = signedIn(({ operator }) =>
  Effect.gen(function*() {
    const found = yield* (yield* SubscriptionDirectory).find(yield* pathParam("id"))
    if (Option.isNone(found)) return notFound(operator, "/admin/subscriptions", "Subscription")
    const subscription = found.value
    const [names, payments] = yield* Effect.all([
      ownerNames([{ product: subscription.productType, ownerId: subscription.ownerId }]),
      (yield* PaymentsDirectory).search({
        product: undefined,
        status: undefined,
        ownerId: undefined,
        subscriptionId: subscription.id,
        invoice: undefined,
        limit: 50,
        offset: 0
      })
    ])
    return htmlResponse(page({
      title: `${productName(subscription.productType)} subscription ${shortId(subscription.id)}`,
      operator,
      nav: panelNav,
      current: "/admin/subscriptions",
      content: html`${
        details([
          ["Id", html`<code>${subscription.id}</code>`],
          ["Owner", ownerLink(subscription.productType, subscription.ownerId, names)],
          ["Plan", link(`/admin/plans/${subscription.planId}`, `${subscription.planName} (${subscription.planType})`)],
          ["Status", subscriptionStatusBadge(subscription.status)],
          ["Current", yesNo(subscription.isCurrent)],
          ["Seats", subscription.seatCount],
          ["Amount per period", amount(subscription.amount)],
          ["Period", `${when(subscription.currentPeriodStart)} → ${when(subscription.currentPeriodEnd)}`],
          ["Cancels at period end", yesNo(subscription.cancelAtPeriodEnd)],
          ["Canceled", when(subscription.canceledAt)],
          ["Stripe subscription", subscription.stripeSubscriptionId ?? "—"],
          ["Stripe customer", subscription.stripeCustomerId ?? "—"],
          ["Last Stripe event applied", when(subscription.stripeEventCreatedAt)],
          ["Created", when(subscription.createdAt)],
          ["Updated", when(subscription.updatedAt)]
        ])
      }<h2>Payments</h2>${
        table(
          ["Invoice", "Amount", "Status", "Paid"],
          payments.items.map((payment) => [
            link(`/admin/payments/${payment.id}`, payment.providerInvoiceId),
            `${amount(payment.amount)} ${payment.currency.toUpperCase()}`,
            payment.status,
            when(payment.paidAt)
          ])
        )
      }`
    }))
  })
)
