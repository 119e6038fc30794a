/**
 * Stripe's webhook: events signed with `STRIPE_WEBHOOK_SECRET`, verified over the raw body,
 * recorded once and queued for the worker. No bearer authentication: the signature is the proof.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { doc } from "../Docs.ts"
import { BadRequest } from "../Errors.ts"

export const WebhookReceipt = Schema.Struct({
  status: Schema.Literals(["received", "ignored"]).annotate({
    description: "`received`: recorded (or already recorded) and queued; `ignored`: a type CueBX does not handle"
  })
}).annotate({ identifier: "WebhookReceipt" })

export class WebhooksApi extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("stripeWebhook", "/webhooks/stripe", {
      success: WebhookReceipt,
      error: BadRequest
    }).annotateMerge(doc(
      "Stripe webhook events",
      "Called by Stripe only. The `Stripe-Signature` header is verified over the raw body (400 `Missing " +
        "Stripe-Signature header` / `Invalid signature`); each event id is recorded once and queued in the same " +
        "transaction, so a repeated delivery changes nothing and the answer never waits for RabbitMQ. Handled: " +
        "`checkout.session.completed`, `customer.subscription.created|updated|deleted|paused|resumed`, " +
        "`invoice.paid`, `invoice.payment_succeeded`, `invoice.payment_failed`, `invoice.payment_action_required`."
    ))
  )
  .annotateMerge(OpenApi.annotations({ title: "Webhooks", description: "Events from Stripe." }))
{}
