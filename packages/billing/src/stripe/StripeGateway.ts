/**
 * The one door to Stripe: a thin Effect wrapper over the official `stripe` client, with the API
 * version pinned to the one the package ships, the base URL from `STRIPE_API_BASE_URL`, and every
 * request sent through the program's `HttpClient` (so it is traced as a child of the calling span
 * and bounded by the backstop timeout). Mutating calls take an idempotency key from the caller
 * (`idempotencyKey`); network failures and Stripe's 5xx are retried with that same key. Answers
 * are decoded into `StripeObjects`; failures become `StripeCardError` or `StripeFailed`.
 */
import { Cause, Context, Duration, Effect, Exit, Layer, Redacted, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { createHash } from "node:crypto"
import Stripe from "stripe"
import { StripeSettings } from "../BillingConfig.ts"
import {
  StripeCheckoutSession,
  StripeCustomer,
  StripeInvoice,
  StripePortalSession,
  StripePrice,
  StripeProduct,
  StripeSubscription
} from "./StripeObjects.ts"

/** The API version every request carries: the one `stripe` 23.1.0 ships (`Stripe.API_VERSION`). */
export const stripeApiVersion = Stripe.API_VERSION

/** The card was declined (or another card error): the customer can fix it, nothing changed. */
export class StripeCardError extends Schema.TaggedError<StripeCardError>()("StripeCardError", {
  message: Schema.String,
  code: Schema.NullOr(Schema.String),
  declineCode: Schema.NullOr(Schema.String),
  param: Schema.NullOr(Schema.String)
}) {}

/** Stripe refused the request, failed, or could not be reached (after the retries). */
export class StripeFailed extends Schema.TaggedError<StripeFailed>()("StripeFailed", {
  message: Schema.String,
  errorType: Schema.String,
  code: Schema.NullOr(Schema.String),
  requestId: Schema.NullOr(Schema.String),
  status: Schema.NullOr(Schema.Int)
}) {
  /** Stripe has no such object (404 `resource_missing`). */
  get isMissing(): boolean {
    return this.status === 404 || this.code === "resource_missing"
  }
}

export type StripeError = StripeCardError | StripeFailed

/**
 * For calls that charge no card: a card error there (Stripe never sends one) is reported as
 * Stripe failing, so only the charging endpoints declare 402.
 */
export const noCardErrors = <A, E, R>(
  effect: Effect.Effect<A, E | StripeCardError, R>
): Effect.Effect<A, Exclude<E, StripeCardError> | StripeFailed, R> =>
  Effect.catchIf(
    effect,
    (error): error is StripeCardError => error instanceof StripeCardError,
    (error) =>
      Effect.fail(
        new StripeFailed({
          message: error.message,
          errorType: "card_error",
          code: error.code,
          requestId: null,
          status: 402
        })
      )
  ) as Effect.Effect<A, Exclude<E, StripeCardError> | StripeFailed, R>

/**
 * An idempotency key for a mutating call: the operation and a digest of every input that
 * defines it, so a retried request gets Stripe's first answer and a different request a new key.
 */
export const idempotencyKey = (operation: string, inputs: unknown): string =>
  `cuebx:${operation}:${createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 40)}`

const toStripeError = (error: unknown): StripeError => {
  if (error instanceof Stripe.errors.StripeCardError) {
    return new StripeCardError({
      message: error.message,
      code: error.code ?? null,
      declineCode: error.decline_code ?? null,
      param: error.param ?? null
    })
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return new StripeFailed({
      message: "Unable to connect to Stripe. Please try again later.",
      errorType: "api_connection_error",
      code: null,
      requestId: null,
      status: null
    })
  }
  if (error instanceof Stripe.errors.StripeError) {
    return new StripeFailed({
      message: error.message,
      errorType: error.type === "StripeIdempotencyError" ? "idempotency_error" : error.rawType ?? "api_error",
      code: error.code ?? null,
      requestId: error.requestId ?? null,
      status: error.statusCode ?? null
    })
  }
  return new StripeFailed({
    message: "Stripe request failed.",
    errorType: "api_error",
    code: null,
    requestId: null,
    status: null
  })
}

/**
 * A `fetch` for the Stripe client that sends through the program's `HttpClient`, in the services
 * of the calling fiber (its span becomes the HTTP span's parent). A transport failure rejects
 * like `fetch` does, so the client classifies and retries it.
 */
const fetchVia = (client: HttpClient.HttpClient, services: Context.Context<never>): typeof fetch =>
  (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries())
    const base = HttpClientRequest.make((init?.method ?? "GET") as "GET")(String(input), { headers })
    const request = typeof init?.body === "string"
      ? HttpClientRequest.bodyText(base, init.body, headers["content-type"] ?? "application/x-www-form-urlencoded")
      : base
    const exit = await Effect.runPromiseExitWith(services)(
      Effect.flatMap(
        client.execute(request),
        (response) => Effect.map(response.arrayBuffer, (body) => ({ response, body }))
      ),
      init?.signal ? { signal: init.signal } : undefined
    )
    if (Exit.isFailure(exit)) throw new TypeError(`fetch failed: ${Cause.pretty(exit.cause).split("\n")[0]}`)
    const { body, response } = exit.value
    return new Response(response.status === 204 ? null : body, {
      status: response.status,
      headers: response.headers as Record<string, string>
    })
  }) as typeof fetch

type Call = (stripe: Stripe) => Promise<unknown>

const keyed = (key: string): Stripe.RequestOptions => ({ idempotencyKey: key })

export class StripeGateway extends Context.Service<StripeGateway, {
  createCustomer(
    params: Stripe.CustomerCreateParams,
    idempotencyKey: string
  ): Effect.Effect<typeof StripeCustomer.Type, StripeFailed>
  createCheckoutSession(
    params: Stripe.Checkout.SessionCreateParams,
    idempotencyKey: string
  ): Effect.Effect<StripeCheckoutSession, StripeFailed>
  retrieveSubscription(id: string): Effect.Effect<StripeSubscription, StripeFailed>
  updateSubscription(
    id: string,
    params: Stripe.SubscriptionUpdateParams,
    idempotencyKey: string
  ): Effect.Effect<StripeSubscription, StripeError>
  /** Ends the subscription now, without proration or a final invoice. */
  cancelSubscription(id: string, idempotencyKey: string): Effect.Effect<StripeSubscription, StripeFailed>
  previewInvoice(params: Stripe.InvoiceCreatePreviewParams): Effect.Effect<StripeInvoice, StripeFailed>
  retrieveInvoice(id: string): Effect.Effect<StripeInvoice, StripeFailed>
  createPortalSession(
    params: Stripe.BillingPortal.SessionCreateParams,
    idempotencyKey: string
  ): Effect.Effect<typeof StripePortalSession.Type, StripeFailed>
  createProduct(params: Stripe.ProductCreateParams, idempotencyKey: string): Effect.Effect<StripeProduct, StripeFailed>
  updateProduct(
    id: string,
    params: Stripe.ProductUpdateParams,
    idempotencyKey: string
  ): Effect.Effect<StripeProduct, StripeFailed>
  retrieveProduct(id: string): Effect.Effect<StripeProduct, StripeFailed>
  createPrice(params: Stripe.PriceCreateParams, idempotencyKey: string): Effect.Effect<StripePrice, StripeFailed>
  updatePrice(
    id: string,
    params: Stripe.PriceUpdateParams,
    idempotencyKey: string
  ): Effect.Effect<StripePrice, StripeFailed>
  retrievePrice(id: string): Effect.Effect<StripePrice, StripeFailed>
}>()("@cuebx/billing/StripeGateway") {
  static readonly layer = Layer.effect(
    StripeGateway,
    Effect.gen(function*() {
      const settings = yield* StripeSettings
      const httpClient = yield* HttpClient.HttpClient
      const apiKey = Redacted.value(settings.apiKey)

      /** A client per call (cheap: ~0.1 ms), so each request runs in the caller's services. */
      const clientIn = (services: Context.Context<never>) =>
        new Stripe(apiKey, {
          apiVersion: stripeApiVersion,
          httpClient: Stripe.createFetchHttpClient(fetchVia(httpClient, services)),
          protocol: settings.address.protocol,
          host: settings.address.host,
          port: settings.address.port,
          maxNetworkRetries: settings.maxNetworkRetries,
          timeout: Duration.toMillis(settings.timeout),
          telemetry: false
        })

      const request = <S extends Schema.Top & { readonly DecodingServices: never }>(
        span: string,
        result: S,
        call: Call
      ): Effect.Effect<S["Type"], StripeError> =>
        Effect.gen(function*() {
          const services = yield* Effect.context<never>()
          const answer = yield* Effect.tryPromise({ try: () => call(clientIn(services)), catch: toStripeError })
          return yield* Schema.decodeUnknownEffect(result)(answer).pipe(
            Effect.mapError(() =>
              new StripeFailed({
                message: "Stripe answered with an unexpected object.",
                errorType: "invalid_response",
                code: null,
                requestId: null,
                status: null
              })
            )
          )
        }).pipe(Effect.withSpan(`StripeGateway.${span}`, { kind: "client" }))

      const safe = <S extends Schema.Top & { readonly DecodingServices: never }>(span: string, result: S, call: Call) =>
        noCardErrors(request(span, result, call))

      return StripeGateway.of({
        createCustomer: (params, key) =>
          safe(
            "createCustomer",
            StripeCustomer,
            (stripe) => stripe.customers.create(params, keyed(key))
          ),
        createCheckoutSession: (params, key) =>
          safe(
            "createCheckoutSession",
            StripeCheckoutSession,
            (stripe) => stripe.checkout.sessions.create(params, keyed(key))
          ),
        retrieveSubscription: (id) =>
          safe(
            "retrieveSubscription",
            StripeSubscription,
            (stripe) => stripe.subscriptions.retrieve(id)
          ),
        updateSubscription: (id, params, key) =>
          request(
            "updateSubscription",
            StripeSubscription,
            (stripe) => stripe.subscriptions.update(id, params, keyed(key))
          ),
        cancelSubscription: (id, key) =>
          safe(
            "cancelSubscription",
            StripeSubscription,
            (stripe) => stripe.subscriptions.cancel(id, { invoice_now: false, prorate: false }, keyed(key))
          ),
        previewInvoice: (params) =>
          safe(
            "previewInvoice",
            StripeInvoice,
            (stripe) => stripe.invoices.createPreview(params)
          ),
        retrieveInvoice: (id) =>
          safe(
            "retrieveInvoice",
            StripeInvoice,
            (stripe) => stripe.invoices.retrieve(id)
          ),
        createPortalSession: (params, key) =>
          safe(
            "createPortalSession",
            StripePortalSession,
            (stripe) => stripe.billingPortal.sessions.create(params, keyed(key))
          ),
        createProduct: (params, key) =>
          safe(
            "createProduct",
            StripeProduct,
            (stripe) => stripe.products.create(params, keyed(key))
          ),
        updateProduct: (id, params, key) =>
          safe(
            "updateProduct",
            StripeProduct,
            (stripe) => stripe.products.update(id, params, keyed(key))
          ),
        retrieveProduct: (id) =>
          safe(
            "retrieveProduct",
            StripeProduct,
            (stripe) => stripe.products.retrieve(id)
          ),
        createPrice: (params, key) =>
          safe(
            "createPrice",
            StripePrice,
            (stripe) => stripe.prices.create(params, keyed(key))
          ),
        updatePrice: (id, params, key) =>
          safe(
            "updatePrice",
            StripePrice,
            (stripe) => stripe.prices.update(id, params, keyed(key))
          ),
        retrievePrice: (id) =>
          safe(
            "retrievePrice",
            StripePrice,
            (stripe) => stripe.prices.retrieve(id)
          )
      })
    })
  )
}
