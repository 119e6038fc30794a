/**
 * Payments of both products in the panel: a filtered, paged list (by product, status, owner,
 * subscription or invoice id) and one payment in full.
 */
import { PaymentsDirectory, paymentStatuses } from "@cuebx/billing"
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
  shortId
} from "./PageParts.ts"

const products = productOptions.map(([value]) => value)

const statusBadge = (status: typeof paymentStatuses[number]) => badge(status, status === "succeeded" ? "good" : "warn")

/** GET /admin/payments */
export const paymentList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const query = queryOf(request)
    const product = oneOf(products, query.get("product"))
    const status = oneOf(paymentStatuses, query.get("status"))
    const owner = queryText(query, "owner")
    const subscription = queryText(query, "subscription")
    const invoice = queryText(query, "invoice")
    const current = pageOf(request)
    const result = yield* (yield* PaymentsDirectory).search({
      product,
      status,
      ownerId: owner,
      subscriptionId: subscription,
      invoice,
      limit: pageSize,
      offset: (current - 1) * pageSize
    })
    const names = yield* ownerNames(result.items.map((item) => ({ product: item.productType, ownerId: item.ownerId })))
    return htmlResponse(page({
      title: "Payments",
      operator,
      nav: panelNav,
      current: "/admin/payments",
      content: html`${
        filterForm("/admin/payments", [
          { kind: "search", name: "invoice", label: "Invoice id", value: invoice },
          { kind: "select", name: "product", label: "Product", value: product, options: productOptions },
          {
            kind: "select",
            name: "status",
            label: "Status",
            value: status,
            options: paymentStatuses.map((s) => [s, s])
          },
          { kind: "search", name: "owner", label: "Owner id", value: owner },
          { kind: "search", name: "subscription", label: "Subscription id", value: subscription }
        ])
      }${
        table(
          ["Invoice", "Owner", "Product", "Amount", "Status", "Reason", "Paid"],
          result.items.map((payment) => [
            link(`/admin/payments/${payment.id}`, payment.providerInvoiceId),
            ownerLink(payment.productType, payment.ownerId, names),
            productName(payment.productType),
            `${amount(payment.amount)} ${payment.currency.toUpperCase()}`,
            statusBadge(payment.status),
            payment.billingReason ?? "—",
            when(payment.paidAt)
          ])
        )
      }${
        pager("/admin/payments", { invoice, product, status, owner, subscription }, {
          page: current,
          pageSize,
          total: result.total
        })
      }`
    }))
  })
)

/** GET /admin/payments/:id */
export const paymentDetail = signedIn(({ operator }) =>
  Effect.gen(function*() {
    const found = yield* (yield* PaymentsDirectory).find(yield* pathParam("id"))
    if (Option.isNone(found)) return notFound(operator, "/admin/payments", "Payment")
    const payment = found.value
    const names = yield* ownerNames([{ product: payment.productType, ownerId: payment.ownerId }])
    return htmlResponse(page({
      title: `Payment ${payment.providerInvoiceId}`,
      operator,
      nav: panelNav,
      current: "/admin/payments",
      content: details([
        ["Id", html`<code>${payment.id}</code>`],
        ["Owner", ownerLink(payment.productType, payment.ownerId, names)],
        ["Product", productName(payment.productType)],
        [
          "Subscription",
          payment.subscriptionId === null
            ? "—"
            : link(`/admin/subscriptions/${payment.subscriptionId}`, shortId(payment.subscriptionId))
        ],
        ["Provider", payment.provider],
        ["Invoice", payment.providerInvoiceId],
        ["Amount", `${amount(payment.amount)} ${payment.currency.toUpperCase()}`],
        ["Status", statusBadge(payment.status)],
        ["Billing reason", payment.billingReason ?? "—"],
        ["Period", `${when(payment.periodStart)} → ${when(payment.periodEnd)}`],
        ["Paid", when(payment.paidAt)],
        ["Hosted invoice", payment.hostedInvoiceUrl === null ? "—" : html`<code>${payment.hostedInvoiceUrl}</code>`]
      ])
    }))
  })
)
