/**
 * The Stripe webhook's handler: the raw body (never decoded before the signature is checked)
 * and the `Stripe-Signature` header go to `StripeWebhooks`.
 */
import { CuebxApi } from "@cuebx/contract"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { StripeWebhooks } from "../webhooks/StripeWebhooks.ts"
import { billingErrorToWire } from "./BillingErrors.ts"

export const WebhooksHttp = HttpApiBuilder.group(
  CuebxApi,
  "webhooks",
  Effect.fn(function*(handlers) {
    const webhooks = yield* StripeWebhooks
    return handlers.handleRaw("stripeWebhook", ({ request }) =>
      Effect.gen(function*() {
        const body = yield* Effect.orDie(request.text)
        const status = yield* webhooks.receive(body, request.headers["stripe-signature"])
        return { status }
      }).pipe(Effect.mapError(billingErrorToWire)))
  })
)
