/**
 * The webhook's work: the `Stripe-Signature` is verified over the raw body with the official
 * client (`constructEvent`, 300 s tolerance, against the application's clock), the event is
 * recorded once in `stripe_event_logs` and its message put in the outbox in the same transaction,
 * so a repeated delivery does nothing and the answer never waits for RabbitMQ. An empty
 * `STRIPE_WEBHOOK_SECRET` fails the layer: the API refuses to start rather than answer 400s.
 */
import { Outbox } from "@cuebx/broker"
import { transactionWith } from "@cuebx/db"
import { Clock, Config, ConfigProvider, Context, Effect, Layer, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import Stripe from "stripe"
import { StripeSettings } from "../BillingConfig.ts"
import { StripeEvent } from "../stripe/StripeObjects.ts"
import { payloadOf, queueOf } from "./StripeEventMessages.ts"
import { StripeEventsRepo } from "./StripeEventsRepo.ts"

export const signatureTolerance = 300

export class MissingSignature extends Schema.TaggedError<MissingSignature>()("MissingSignature", {}) {}
export class InvalidSignature extends Schema.TaggedError<InvalidSignature>()("InvalidSignature", {}) {}
export class MissingEventIdOrType extends Schema.TaggedError<MissingEventIdOrType>()("MissingEventIdOrType", {}) {}

const decodeEvent = Schema.decodeUnknownEffect(StripeEvent)

export class StripeWebhooks extends Context.Service<StripeWebhooks, {
  /** `received` for an event recorded now or before, `ignored` for a type CueBX does not handle. */
  receive(
    rawBody: string,
    signature: string | undefined
  ): Effect.Effect<"received" | "ignored", MissingSignature | InvalidSignature | MissingEventIdOrType>
}>()("@cuebx/billing/StripeWebhooks") {
  static readonly layer = Layer.effect(
    StripeWebhooks,
    Effect.gen(function*() {
      const { webhookSecret } = yield* StripeSettings
      const secret = Redacted.value(webhookSecret)
      if (secret.trim() === "") {
        return yield* Effect.fail(
          new Config.ConfigError(
            new ConfigProvider.SourceError({
              message: "STRIPE_WEBHOOK_SECRET is empty: set it to the endpoint's signing secret (whsec_…)"
            })
          )
        )
      }
      const inTransaction = transactionWith(yield* SqlClient.SqlClient)
      const events = yield* StripeEventsRepo
      const outbox = yield* Outbox

      return StripeWebhooks.of({
        receive: Effect.fn("StripeWebhooks.receive")(function*(rawBody, signature) {
          if (signature === undefined || signature.trim() === "") return yield* new MissingSignature()
          const receivedAtMillis = yield* Clock.currentTimeMillis
          const verified = yield* Effect.try({
            try: (): unknown =>
              Stripe.webhooks.constructEvent(
                rawBody,
                signature,
                secret,
                signatureTolerance,
                undefined,
                receivedAtMillis
              ),
            catch: () => new InvalidSignature()
          })
          const event = yield* decodeEvent(verified).pipe(Effect.mapError(() => new MissingEventIdOrType()))
          const queue = queueOf(event.type)
          if (queue === undefined) {
            yield* Effect.logInfo("Stripe event ignored", { event_id: event.id, event_type: event.type })
            return "ignored" as const
          }
          yield* inTransaction(Effect.gen(function*() {
            const recorded = yield* events.record({
              eventId: event.id,
              eventType: event.type,
              stripeCreatedAt: event.created,
              payload: verified
            })
            if (recorded) yield* outbox.enqueue(queue, payloadOf(event))
            else yield* Effect.logInfo("Stripe event already received", { event_id: event.id })
          }))
          return "received" as const
        })
      })
    })
  )
}
