/**
 * The fake Stripe's state: its objects (customers, products, prices, checkout sessions,
 * subscriptions, invoices) as Stripe's JSON, the events it emits with monotonic `created`, and
 * the computations flows share (items changed by an update, prorations, invoices).
 */
import type { FakeResponse } from "./FakeHttpServer.ts"
import { type FormObject, type FormValue, missing, stripeId } from "./FakeStripeWire.ts"

export type Json = Record<string, unknown>

export interface FakeStripeEvent {
  readonly id: string
  readonly object: "event"
  readonly type: string
  readonly created: number
  readonly api_version: string
  readonly livemode: false
  readonly data: { readonly object: Json }
}

const day = 24 * 60 * 60
export const period = 30 * day
export const apiVersion = "2026-10-28.endive"

export const asObject = (value: FormValue | undefined): FormObject =>
  value !== undefined && typeof value === "object" && !Array.isArray(value) ? value : {}
export const asList = (value: FormValue | undefined): Array<FormValue> =>
  Array.isArray(value) ? value : value !== undefined && typeof value === "object" ? Object.values(value) : []
export const asText = (value: FormValue | undefined): string | undefined =>
  typeof value === "string" ? value : undefined
export const metadataOf = (value: FormValue | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(asObject(value)).filter(([, inner]) => typeof inner === "string")) as Record<
    string,
    string
  >

/** Stripe's own clock: the fake stamps its objects with the wall time, as Stripe does, whatever the tests' Clock says. */
export const now = () => Math.floor(Date.now() / 1000)
export const snapshot = <A>(value: A): A => structuredClone(value)

export type StripeState = ReturnType<typeof makeStripeState>

/** Fresh state, with these prices (id → cents, monthly, usd) existing from the start. */
export const makeStripeState = (initialPrices: Readonly<Record<string, number>>) => {
  const customers = new Map<string, Json>()
  const products = new Map<string, Json>()
  const prices = new Map<string, Json>()
  const sessions = new Map<string, Json>()
  const subscriptions = new Map<string, Json>()
  const invoices = new Map<string, Json>()
  const events: Array<FakeStripeEvent> = []
  let lastCreated = 0

  const nextCreated = () => (lastCreated = Math.max(now(), lastCreated + 1))
  const emit = (type: string, object: Json): FakeStripeEvent => {
    const event: FakeStripeEvent = {
      id: stripeId("evt"),
      object: "event",
      type,
      created: nextCreated(),
      api_version: apiVersion,
      livemode: false,
      data: { object: snapshot(object) }
    }
    events.push(event)
    return event
  }

  const definePrice = (id: string, amount: number, product: string | null = null) => {
    const price: Json = {
      id,
      object: "price",
      active: true,
      currency: "usd",
      unit_amount: amount,
      product: product ?? stripeId("prod"),
      recurring: { interval: "month" },
      metadata: {}
    }
    prices.set(id, price)
    return price
  }
  for (const [id, amount] of Object.entries(initialPrices)) definePrice(id, amount)

  const itemsOf = (subscription: Json) => (subscription["items"] as { data: Array<Json> }).data
  const amountOf = (item: Json) => Number((item["price"] as Json)["unit_amount"] ?? 0) * Number(item["quantity"])

  const newItem = (subscriptionId: string, price: Json, quantity: number, start: number): Json => ({
    id: stripeId("si"),
    object: "subscription_item",
    subscription: subscriptionId,
    price: snapshot(price),
    quantity,
    current_period_start: start,
    current_period_end: start + period
  })

  const invoiceFor = (
    subscription: Json,
    reason: string,
    lines: ReadonlyArray<{ readonly amount: number; readonly proration: boolean }>,
    paid: boolean
  ): Json => {
    const created = nextCreated()
    const first = itemsOf(subscription)[0]
    const amount = Math.max(0, lines.reduce((sum, line) => sum + line.amount, 0))
    const invoice: Json = {
      id: stripeId("in"),
      object: "invoice",
      customer: subscription["customer"],
      customer_email: (customers.get(String(subscription["customer"])) ?? {})["email"] ?? null,
      status: paid ? "paid" : "open",
      amount_due: amount,
      amount_paid: paid ? amount : 0,
      currency: "usd",
      billing_reason: reason,
      created,
      period_start: first?.["current_period_start"] ?? created,
      period_end: first?.["current_period_end"] ?? created,
      hosted_invoice_url: `https://invoice.stripe.test/${created}`,
      status_transitions: { paid_at: paid ? created : null },
      parent: {
        type: "subscription_details",
        subscription_details: { subscription: subscription["id"], metadata: subscription["metadata"] }
      },
      lines: {
        object: "list",
        data: lines.map((line) => ({
          id: stripeId("il"),
          object: "line_item",
          amount: line.amount,
          currency: "usd",
          parent: {
            type: "subscription_item_details",
            subscription_item_details: { proration: line.proration, subscription: subscription["id"] }
          }
        }))
      }
    }
    invoices.set(String(invoice["id"]), invoice)
    return invoice
  }

  const paidEvents = (invoice: Json) => [emit("invoice.paid", invoice), emit("invoice.payment_succeeded", invoice)]

  /** Applies `items[]` of an update or a preview to a copy of the subscription's items; fails on unknown prices. */
  const changedItems = (subscription: Json, requested: Array<FormValue>): Array<Json> | FakeResponse => {
    const items = itemsOf(subscription).map((item) => snapshot(item))
    for (const entry of requested.map(asObject)) {
      const itemId = asText(entry["id"])
      const priceId = asText(entry["price"])
      if (itemId === undefined) {
        // An item without an id is a new one, on its price.
        const price = priceId === undefined ? undefined : prices.get(priceId)
        if (price === undefined) return missing("price", String(priceId))
        const first = items[0]
        const start = Number(first?.["current_period_start"] ?? now())
        items.push(newItem(String(subscription["id"]), price, Number(asText(entry["quantity"]) ?? 1), start))
        continue
      }
      const target = items.find((item) => item["id"] === itemId)
      if (target === undefined) return missing("subscription item", itemId)
      if (priceId !== undefined) {
        const price = prices.get(priceId)
        if (price === undefined) return missing("price", priceId)
        target["price"] = snapshot(price)
      }
      const quantity = asText(entry["quantity"])
      if (quantity !== undefined) target["quantity"] = Number(quantity)
    }
    return items
  }

  /** What the change is worth for the rest of the period, line per item, in cents. */
  const prorations = (before: ReadonlyArray<Json>, after: ReadonlyArray<Json>) => {
    const lines: Array<{ amount: number; proration: true }> = []
    after.forEach((item, index) => {
      const previousAmount = before[index] === undefined ? 0 : amountOf(before[index])
      if (previousAmount === amountOf(item)) return
      const start = Number(item["current_period_start"])
      const end = Number(item["current_period_end"])
      const remaining = Math.max(0, Math.min(1, (end - now()) / Math.max(1, end - start)))
      lines.push({ amount: -Math.round(previousAmount * remaining), proration: true })
      lines.push({ amount: Math.round(amountOf(item) * remaining), proration: true })
    })
    return lines
  }

  return {
    customers,
    products,
    prices,
    sessions,
    subscriptions,
    invoices,
    events,
    emit,
    definePrice,
    itemsOf,
    amountOf,
    newItem,
    invoiceFor,
    paidEvents,
    changedItems,
    prorations
  }
}
