/**
 * Metered usage of both products in the panel: the usage rows of one product within a recent
 * window (a day to three months), filtered by status, feature, owner or request id and paged
 * newest first, and one row in full.
 */
import { featureKeyDbName } from "@cuebx/billing"
import { featureKeyProduct, featureKeys } from "@cuebx/contract"
import { UsageDirectory, type UsageRecord, usageStatuses } from "@cuebx/usage"
import { DateTime, Effect, Option } from "effect"
import { jsonBlock } from "../PanelForms.ts"
import { amount, badge, details, filterForm, html, link, page, pager, table, when } from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { htmlResponse, pageOf, pathParam, queryOf, signedIn } from "../PanelRequests.ts"
import {
  notFound,
  oneOf,
  ownerLink,
  ownerNames,
  pageSize,
  type Product,
  productName,
  productOptions,
  queryText,
  shortId,
  yesNo
} from "./PageParts.ts"

const products = productOptions.map(([value]) => value)
const windows = ["1", "7", "30", "90"] as const
const defaultWindow = "7"

const statusBadge = (status: UsageRecord["status"]) =>
  badge(
    status.toLowerCase(),
    status === "SUCCESS" ? "good" : status === "PENDING" ? "plain" : status === "DENIED" ? "bad" : "warn"
  )

/** The product in a usage row's URL: `api` or `career`. */
const urlProduct = (product: Product) => product.toLowerCase()

const featureOptions = (product: Product) =>
  featureKeys.filter((key) => featureKeyProduct(key) === product).map((key) => [featureKeyDbName(key), key] as const)

/** GET /admin/usage */
export const usageList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const query = queryOf(request)
    const product = oneOf(products, query.get("product")) ?? "API"
    const days = oneOf(windows, query.get("days")) ?? defaultWindow
    const status = oneOf(usageStatuses, query.get("status"))
    const features = featureOptions(product)
    const feature = oneOf(features.map(([value]) => value), query.get("feature"))
    const owner = queryText(query, "owner")
    const requestId = queryText(query, "request")
    const current = pageOf(request)
    const since = DateTime.subtract(yield* DateTime.now, { days: Number(days) })
    const result = yield* (yield* UsageDirectory).list({
      product,
      status,
      featureKey: feature,
      ownerId: owner,
      requestId,
      since,
      limit: pageSize,
      offset: (current - 1) * pageSize
    })
    const names = yield* ownerNames(result.items.map((item) => ({ product, ownerId: item.ownerId })))
    return htmlResponse(page({
      title: `${productName(product)} usage`,
      operator,
      nav: panelNav,
      current: "/admin/usage",
      content: html`${
        filterForm("/admin/usage", [
          { kind: "select", name: "product", label: "Product", value: product, options: productOptions },
          {
            kind: "select",
            name: "days",
            label: "Last days",
            value: days,
            options: windows.map((window) => [window, window])
          },
          { kind: "select", name: "status", label: "Status", value: status, options: usageStatuses.map((s) => [s, s]) },
          { kind: "select", name: "feature", label: "Feature", value: feature, options: features },
          { kind: "search", name: "owner", label: product === "API" ? "Workspace id" : "User id", value: owner },
          { kind: "search", name: "request", label: "Request id", value: requestId }
        ])
      }${
        table(
          ["Usage", product === "API" ? "Workspace" : "User", "Feature", "Status", "Reserved", "Charged", "Created"],
          result.items.map((usage) => [
            link(`/admin/usage/${urlProduct(product)}/${usage.id}`, shortId(usage.id)),
            ownerLink(product, usage.ownerId, names),
            html`<code>${usage.featureKey}</code>`,
            statusBadge(usage.status),
            amount(usage.creditsReserved),
            amount(usage.creditsCharged),
            when(usage.createdAt)
          ])
        )
      }${
        pager(
          "/admin/usage",
          { product, days, status, feature, owner, request: requestId },
          { page: current, pageSize, total: result.total }
        )
      }`
    }))
  })
)

/** GET /admin/usage/:product/:id */
export const usageDetail = signedIn(({ operator }) =>
  Effect.gen(function*() {
    const product = oneOf(products, (yield* pathParam("product")).toUpperCase())
    const id = yield* pathParam("id")
    const found = product === undefined ? Option.none() : yield* (yield* UsageDirectory).find(product, id)
    if (product === undefined || Option.isNone(found)) return notFound(operator, "/admin/usage", "Usage")
    const usage = found.value
    const names = yield* ownerNames([{ product, ownerId: usage.ownerId }])
    return htmlResponse(page({
      title: `${productName(product)} usage ${shortId(usage.id)}`,
      operator,
      nav: panelNav,
      current: "/admin/usage",
      content: html`${
        details([
          ["Id", html`<code>${usage.id}</code>`],
          [product === "API" ? "Workspace" : "User", ownerLink(product, usage.ownerId, names)],
          ...(usage.apiKeyId === null ? [] : [["API key", html`<code>${usage.apiKeyId}</code>`] as const]),
          ...(usage.subscriptionId === null
            ? []
            : [[
              "Subscription",
              link(`/admin/subscriptions/${usage.subscriptionId}`, shortId(usage.subscriptionId))
            ]] as const),
          ["Test key", yesNo(usage.isTestKey)],
          ["Feature", html`<code>${usage.featureKey}</code>`],
          ["Request id", html`<code>${usage.requestId}</code>`],
          ["Status", statusBadge(usage.status)],
          ["Endpoint", `${usage.method} ${usage.endpoint}`],
          ["Client", `${usage.clientIp ?? "—"} · ${usage.clientUserAgent ?? "—"}`],
          ["Credits reserved", amount(usage.creditsReserved)],
          ["Credits charged", amount(usage.creditsCharged)],
          ["Model", usage.modelUsed ?? "—"],
          ["Tokens in / out", `${usage.inputTokens ?? "—"} / ${usage.outputTokens ?? "—"}`],
          ["Latency", usage.latencyMs === null ? "—" : `${usage.latencyMs} ms`],
          ["Failure", usage.failureType === null ? "—" : `${usage.failureType}: ${usage.failureReason ?? ""}`],
          ["Created", when(usage.createdAt)],
          ["Committed", when(usage.committedAt)]
        ])
      }<h2>Estimate</h2>${jsonBlock(usage.usageEstimate)}`
    }))
  })
)
