/**
 * A fake Stripe on a random port that speaks Stripe's wire format (form bodies in bracket
 * notation, `Authorization: Bearer sk_…`, `Stripe-Version`, `Idempotency-Key` replays and
 * conflicts, Stripe-shaped objects and errors with a `Request-Id`) and keeps enough state for
 * checkout → subscription → invoice flows. Tests drive what Stripe would do on its own (complete a
 * checkout, renew a period, fail a payment, end a subscription), script a card decline or a 500
 * for the next calls, and deliver the events it emitted, signed as Stripe signs them, in any order.
 */
import { Effect } from "effect"
import { type FakeHttpServer, type FakeResponse, makeFakeHttpServer, type RecordedRequest } from "./FakeHttpServer.ts"
import {
  asList,
  asObject,
  asText,
  type FakeStripeEvent,
  type Json,
  makeStripeState,
  metadataOf,
  now,
  period,
  snapshot
} from "./FakeStripeState.ts"
import {
  cardDeclined,
  type FormObject,
  type FormValue,
  missing,
  parseStripeForm,
  serverError,
  signPayload,
  stripeError,
  type StripeErrorSpec,
  stripeId
} from "./FakeStripeWire.ts"

export type { FakeStripeEvent } from "./FakeStripeState.ts"

export interface FakeStripeOptions {
  /** The webhook signing secret deliveries are signed with. */
  readonly webhookSecret?: string
  /** Prices that exist before the test starts: id → amount in cents (recurring monthly, usd). */
  readonly prices?: Readonly<Record<string, number>>
}

export interface SignedDelivery {
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

export interface FakeStripe {
  readonly url: string
  readonly server: FakeHttpServer
  readonly webhookSecret: string
  readonly customers: () => ReadonlyArray<Json>
  readonly products: () => ReadonlyArray<Json>
  readonly prices: () => ReadonlyArray<Json>
  readonly subscription: (id: string) => Json | undefined
  readonly checkoutSession: (id: string) => Json | undefined
  readonly invoices: () => ReadonlyArray<Json>
  /** Every event emitted so far, oldest first. */
  readonly events: () => ReadonlyArray<FakeStripeEvent>
  /** The customer pays: the subscription starts (`active` unless told otherwise) and its first invoice is paid. */
  readonly completeCheckout: (
    sessionId: string,
    options?: { readonly status?: "active" | "trialing" | "incomplete" }
  ) => { readonly subscriptionId: string; readonly events: ReadonlyArray<FakeStripeEvent> }
  /** A live subscription on these prices, made without a checkout (for fixtures); no events. */
  readonly createSubscription: (
    items: ReadonlyArray<{ readonly price: string; readonly quantity: number }>,
    metadata?: Readonly<Record<string, string>>
  ) => string
  /** The next period starts and its invoice is paid. */
  readonly renew: (subscriptionId: string) => ReadonlyArray<FakeStripeEvent>
  /** The renewal's payment fails: the invoice stays open and the subscription is `past_due`. */
  readonly failPayment: (subscriptionId: string) => ReadonlyArray<FakeStripeEvent>
  /** The subscription ends now (as at the end of a period set to cancel). */
  readonly endSubscription: (subscriptionId: string) => ReadonlyArray<FakeStripeEvent>
  /**
   * Scripts failures: a card decline answers the next call that charges the card (an update
   * invoiced at once); any other error answers the next `times` mutating calls (POST, DELETE).
   */
  readonly failNext: (error: "card_declined" | "server_error" | StripeErrorSpec, times?: number) => void
  /** The body and `Stripe-Signature` Stripe would send for this event. */
  readonly signed: (event: FakeStripeEvent, options?: { readonly timestamp?: number }) => SignedDelivery
  /** Sends the event, signed, to `url` (the API's `/webhooks/stripe`); resolves with the answer's status. */
  readonly deliver: (event: FakeStripeEvent, url: string) => Effect.Effect<number>
}

const ok = (body: Json): FakeResponse => ({ status: 200, headers: { "request-id": stripeId("req") }, body })
const authorized = (request: RecordedRequest) => /^Bearer sk_\S+$/.test(String(request.headers["authorization"] ?? ""))

export const makeFakeStripe = (options: FakeStripeOptions = {}) =>
  Effect.gen(function*() {
    const webhookSecret = options.webhookSecret ?? "whsec_fake_stripe_test_secret_0123456789"
    const idempotent = new Map<string, { readonly fingerprint: string; readonly response: FakeResponse }>()
    const scripted: Array<StripeErrorSpec> = []
    const state = makeStripeState(options.prices ?? {})
    const {
      amountOf,
      changedItems,
      customers,
      definePrice,
      emit,
      events,
      invoiceFor,
      invoices,
      itemsOf,
      newItem,
      paidEvents,
      prices,
      products,
      prorations,
      sessions,
      subscriptions
    } = state

    const requireSubscription = (id: string) => subscriptions.get(id)

    const routes: Record<string, (request: RecordedRequest, form: FormObject, id: string) => FakeResponse> = {
      "POST /v1/customers": (_request, form) => {
        const customer: Json = {
          id: stripeId("cus"),
          object: "customer",
          email: asText(form["email"]) ?? null,
          name: asText(form["name"]) ?? null,
          metadata: metadataOf(form["metadata"]),
          created: now()
        }
        customers.set(String(customer["id"]), customer)
        return ok(customer)
      },
      "POST /v1/checkout/sessions": (_request, form) => {
        const lineItems = asList(form["line_items"]).map(asObject)
        for (const [index, line] of lineItems.entries()) {
          const priceId = String(asText(line["price"]))
          if (!prices.has(priceId)) {
            return stripeError({
              status: 400,
              type: "invalid_request_error",
              code: "resource_missing",
              param: `line_items[${index}][price]`,
              message: `No such price: '${priceId}'`
            })
          }
        }
        const id = stripeId("cs")
        const session: Json = {
          id,
          object: "checkout.session",
          mode: asText(form["mode"]) ?? "payment",
          status: "open",
          url: `https://checkout.stripe.test/c/pay/${id}`,
          customer: asText(form["customer"]) ?? null,
          subscription: null,
          success_url: asText(form["success_url"]) ?? null,
          cancel_url: asText(form["cancel_url"]) ?? null,
          metadata: metadataOf(form["metadata"]),
          line_items: lineItems.map((line) => ({
            price: asText(line["price"]),
            quantity: Number(line["quantity"] ?? 1)
          })),
          subscription_data: { metadata: metadataOf(asObject(form["subscription_data"])["metadata"]) }
        }
        sessions.set(id, session)
        return ok(session)
      },
      "GET /v1/subscriptions/:id": (_request, _form, id) => {
        const subscription = requireSubscription(id)
        return subscription === undefined ? missing("subscription", id) : ok(subscription)
      },
      "POST /v1/subscriptions/:id": (_request, form, id) => {
        const subscription = requireSubscription(id)
        if (subscription === undefined) return missing("subscription", id)
        const items = changedItems(subscription, asList(form["items"]))
        if (!Array.isArray(items)) return items
        const lines = prorations(itemsOf(subscription), items)
        const charged = asText(form["proration_behavior"]) === "always_invoice" && lines.length > 0
        const emitted: Array<() => void> = []
        if (charged) {
          const due = lines.reduce((sum, line) => sum + line.amount, 0)
          if (due > 0 && scripted[0]?.status === 402) return stripeError(scripted.shift()!)
          emitted.push(() =>
            paidEvents(invoiceFor({ ...subscription, items: { data: items } }, "subscription_update", lines, true))
          )
        }
        const list = subscription["items"] as { data: Array<Json> }
        list.data = items
        const cancel = asText(form["cancel_at_period_end"])
        if (cancel !== undefined) {
          subscription["cancel_at_period_end"] = cancel === "true"
          subscription["canceled_at"] = cancel === "true" ? now() : null
        }
        const metadata = form["metadata"]
        if (metadata !== undefined) {
          subscription["metadata"] = { ...asObject(subscription["metadata"] as FormValue), ...metadataOf(metadata) }
        }
        emitted.forEach((emitNow) => emitNow())
        emit("customer.subscription.updated", subscription)
        return ok(subscription)
      },
      "DELETE /v1/subscriptions/:id": (_request, _form, id) => {
        const subscription = requireSubscription(id)
        if (subscription === undefined) return missing("subscription", id)
        Object.assign(subscription, {
          status: "canceled",
          ended_at: now(),
          canceled_at: subscription["canceled_at"] ?? now()
        })
        emit("customer.subscription.deleted", subscription)
        return ok(subscription)
      },
      "POST /v1/invoices/create_preview": (_request, form) => {
        const subscriptionId = String(asText(form["subscription"]))
        const subscription = requireSubscription(subscriptionId)
        if (subscription === undefined) return missing("subscription", subscriptionId)
        const details = asObject(form["subscription_details"])
        const items = changedItems(subscription, asList(details["items"]))
        if (!Array.isArray(items)) return items
        const preview = invoiceFor(
          { ...subscription, items: { data: items } },
          "upcoming",
          prorations(itemsOf(subscription), items),
          false
        )
        invoices.delete(String(preview["id"]))
        return ok({ ...preview, id: null, status: "draft" })
      },
      "GET /v1/invoices/:id": (_request, _form, id) => {
        const invoice = invoices.get(id)
        return invoice === undefined ? missing("invoice", id) : ok(invoice)
      },
      "POST /v1/billing_portal/sessions": (_request, form) => {
        const customer = String(asText(form["customer"]))
        if (!customers.has(customer)) return missing("customer", customer)
        const id = stripeId("bps")
        return ok({
          id,
          object: "billing_portal.session",
          customer,
          return_url: asText(form["return_url"]) ?? null,
          url: `https://billing.stripe.test/p/session/${id}`
        })
      },
      "POST /v1/products": (_request, form) => {
        const product: Json = {
          id: stripeId("prod"),
          object: "product",
          name: asText(form["name"]) ?? "",
          description: asText(form["description"]) ?? null,
          active: asText(form["active"]) !== "false",
          metadata: metadataOf(form["metadata"])
        }
        products.set(String(product["id"]), product)
        return ok(product)
      },
      "POST /v1/products/:id": (_request, form, id) => {
        const product = products.get(id)
        if (product === undefined) return missing("product", id)
        for (const field of ["name", "description"]) {
          const value = asText(form[field])
          if (value !== undefined) product[field] = value
        }
        const active = asText(form["active"])
        if (active !== undefined) product["active"] = active === "true"
        return ok(product)
      },
      "GET /v1/products/:id": (_request, _form, id) => {
        const product = products.get(id)
        return product === undefined ? missing("product", id) : ok(product)
      },
      "POST /v1/prices": (_request, form) => {
        const product = String(asText(form["product"]))
        if (!products.has(product)) return missing("product", product)
        const price = definePrice(stripeId("price"), Number(asText(form["unit_amount"]) ?? 0), product)
        price["currency"] = asText(form["currency"]) ?? "usd"
        price["recurring"] = { interval: asText(asObject(form["recurring"])["interval"]) ?? "month" }
        price["metadata"] = metadataOf(form["metadata"])
        return ok(price)
      },
      "POST /v1/prices/:id": (_request, form, id) => {
        const price = prices.get(id)
        if (price === undefined) return missing("price", id)
        const active = asText(form["active"])
        if (active !== undefined) price["active"] = active === "true"
        return ok(price)
      },
      "GET /v1/prices/:id": (_request, _form, id) => {
        const price = prices.get(id)
        return price === undefined ? missing("price", id) : ok(price)
      }
    }

    const handle = (routeKey: string) => (request: RecordedRequest): FakeResponse => {
      if (!authorized(request)) {
        return stripeError({ status: 401, type: "invalid_request_error", message: "Invalid API Key provided." })
      }
      const mutating = request.method !== "GET"
      const id = request.path.split("/")[routeKey.split("/").length - 1] ?? ""
      const key = request.headers["idempotency-key"]
      const fingerprint = `${request.method} ${request.path} ${request.body}`
      if (mutating && typeof key === "string") {
        const seen = idempotent.get(key)
        if (seen !== undefined) {
          if (seen.fingerprint !== fingerprint) {
            return stripeError({
              status: 400,
              type: "idempotency_error",
              message:
                `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`
            })
          }
          return { ...seen.response, headers: { ...seen.response.headers, "idempotent-replayed": "true" } }
        }
      }
      // A scripted decline waits for a call that charges the card; any other scripted error takes the next call.
      if (mutating && scripted[0] !== undefined && scripted[0].status !== 402) return stripeError(scripted.shift()!)
      const response = routes[routeKey]!(request, parseStripeForm(request.body), id)
      if (mutating && typeof key === "string" && (response.status ?? 200) < 500) {
        idempotent.set(key, { fingerprint, response })
      }
      return response
    }

    const server = yield* makeFakeHttpServer(
      "stripe",
      Object.fromEntries(Object.keys(routes).map((routeKey) => [routeKey, handle(routeKey)]))
    )

    const subscriptionOrThrow = (id: string) => {
      const subscription = subscriptions.get(id)
      if (subscription === undefined) throw new Error(`fake Stripe: no subscription ${id}`)
      return subscription
    }

    const fake: FakeStripe = {
      url: server.url,
      server,
      webhookSecret,
      customers: () => [...customers.values()],
      products: () => [...products.values()],
      prices: () => [...prices.values()],
      subscription: (id) => subscriptions.get(id),
      checkoutSession: (id) => sessions.get(id),
      invoices: () => [...invoices.values()],
      events: () => [...events],
      completeCheckout: (sessionId, completion = {}) => {
        const session = sessions.get(sessionId)
        if (session === undefined) throw new Error(`fake Stripe: no checkout session ${sessionId}`)
        const start = now()
        const id = stripeId("sub")
        const status = completion.status ?? "active"
        const subscription: Json = {
          id,
          object: "subscription",
          customer: session["customer"],
          status,
          cancel_at_period_end: false,
          canceled_at: null,
          ended_at: null,
          created: start,
          metadata: snapshot((session["subscription_data"] as { metadata: Json }).metadata),
          items: {
            object: "list",
            data: (session["line_items"] as Array<{ price: string; quantity: number }>).map((line) =>
              newItem(id, prices.get(line.price)!, line.quantity, start)
            )
          }
        }
        subscriptions.set(id, subscription)
        Object.assign(session, { status: "complete", subscription: id })
        const paid = status !== "incomplete"
        const invoice = invoiceFor(
          subscription,
          "subscription_create",
          itemsOf(subscription).map((item) => ({ amount: amountOf(item), proration: false })),
          paid
        )
        subscription["latest_invoice"] = invoice["id"]
        const emitted = [
          emit("checkout.session.completed", session),
          emit("customer.subscription.created", subscription)
        ]
        return { subscriptionId: id, events: paid ? [...emitted, ...paidEvents(invoice)] : emitted }
      },
      createSubscription: (items, metadata = {}) => {
        const customer = stripeId("cus")
        customers.set(customer, { id: customer, object: "customer", email: null, name: null, metadata: {} })
        const start = now()
        const id = stripeId("sub")
        subscriptions.set(id, {
          id,
          object: "subscription",
          customer,
          status: "active",
          cancel_at_period_end: false,
          canceled_at: null,
          ended_at: null,
          created: start,
          metadata: { ...metadata },
          items: {
            object: "list",
            data: items.map((item) => {
              const price = prices.get(item.price)
              if (price === undefined) throw new Error(`fake Stripe: no price ${item.price}`)
              return newItem(id, price, item.quantity, start)
            })
          }
        })
        return id
      },
      renew: (subscriptionId) => {
        const subscription = subscriptionOrThrow(subscriptionId)
        for (const item of itemsOf(subscription)) {
          item["current_period_start"] = item["current_period_end"]
          item["current_period_end"] = Number(item["current_period_end"]) + period
        }
        subscription["status"] = "active"
        const invoice = invoiceFor(
          subscription,
          "subscription_cycle",
          itemsOf(subscription).map((item) => ({ amount: amountOf(item), proration: false })),
          true
        )
        return [...paidEvents(invoice), emit("customer.subscription.updated", subscription)]
      },
      failPayment: (subscriptionId) => {
        const subscription = subscriptionOrThrow(subscriptionId)
        const invoice = invoiceFor(
          subscription,
          "subscription_cycle",
          itemsOf(subscription).map((item) => ({ amount: amountOf(item), proration: false })),
          false
        )
        subscription["status"] = "past_due"
        return [emit("invoice.payment_failed", invoice), emit("customer.subscription.updated", subscription)]
      },
      endSubscription: (subscriptionId) => {
        const subscription = subscriptionOrThrow(subscriptionId)
        Object.assign(subscription, {
          status: "canceled",
          ended_at: now(),
          canceled_at: subscription["canceled_at"] ?? now()
        })
        return [emit("customer.subscription.deleted", subscription)]
      },
      failNext: (error, times = 1) => {
        const spec = error === "card_declined" ? cardDeclined : error === "server_error" ? serverError : error
        for (let i = 0; i < times; i++) scripted.push(spec)
      },
      signed: (event, signing = {}) => {
        const body = JSON.stringify(event)
        return {
          body,
          headers: {
            "content-type": "application/json",
            "stripe-signature": signPayload(body, webhookSecret, signing.timestamp)
          }
        }
      },
      deliver: (event, url) =>
        Effect.promise(async () => {
          const { body, headers } = fake.signed(event)
          const response = await fetch(url, { method: "POST", body, headers })
          await response.arrayBuffer()
          return response.status
        })
    }
    return fake
  })
