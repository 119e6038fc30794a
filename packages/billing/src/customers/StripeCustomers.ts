/**
 * Stripe customers: exactly one per billing owner, a user (Career) or a workspace (the API).
 * `ensure` returns the owner's customer, creating it in Stripe with an idempotency key derived
 * from the owner (a retry, or a race, gets Stripe's first customer) and storing it at once. A new
 * user's customer is requested through the outbox at sign-up (`requestForUser`) and created by
 * the worker; a workspace's at its first checkout or portal visit.
 */
import { messageType, Outbox, queueHandler, Queues } from "@cuebx/broker"
import { StripeApiKey } from "@cuebx/config"
import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { StripeSettings } from "../BillingConfig.ts"
import { idempotencyKey, type StripeFailed, StripeGateway } from "../stripe/StripeGateway.ts"
import { OwnerType, StripeCustomersRepo } from "./StripeCustomersRepo.ts"

export interface CustomerOwner {
  readonly type: OwnerType
  readonly id: string
  /** Shown in Stripe's dashboard and on invoices. */
  readonly email: string
  readonly name: string | null
}

export const StripeCustomerRequest = Schema.Struct({
  owner_type: OwnerType,
  owner_id: Schema.String,
  email: Schema.String,
  name: Schema.NullOr(Schema.String)
})

/** A customer to create in Stripe for a new account, through the outbox. */
export const StripeCustomerMessage = messageType(Queues.stripeCustomers, StripeCustomerRequest)

export class StripeCustomers extends Context.Service<StripeCustomers, {
  ensure(owner: CustomerOwner): Effect.Effect<string, StripeFailed>
  /** Enqueues the creation of a user's customer; run it in the transaction that provisions the user. */
  requestForUser(
    user: { readonly id: string; readonly email: string; readonly fullName: string | null }
  ): Effect.Effect<void>
}>()("@cuebx/billing/StripeCustomers") {
  static readonly layer = Layer.effect(
    StripeCustomers,
    Effect.gen(function*() {
      const repo = yield* StripeCustomersRepo
      const stripe = yield* StripeGateway
      const outbox = yield* Outbox
      const settings = yield* StripeSettings
      const stripeConfigured = Redacted.value(settings.apiKey) !== StripeApiKey.exampleDefault
      return StripeCustomers.of({
        ensure: Effect.fn("StripeCustomers.ensure")(function*(owner) {
          const known = yield* repo.find(owner.type, owner.id)
          if (Option.isSome(known)) return known.value
          const ownerKey = owner.type === "user" ? "user_id" : "workspace_id"
          const customer = yield* stripe.createCustomer(
            {
              email: owner.email,
              ...(owner.name === null ? {} : { name: owner.name }),
              metadata: { owner_type: owner.type, [ownerKey]: owner.id }
            },
            idempotencyKey("customer", { type: owner.type, id: owner.id })
          )
          return yield* repo.store(owner.type, owner.id, customer.id)
        }),
        requestForUser: Effect.fn("StripeCustomers.requestForUser")(function*(user) {
          // Without a Stripe account (the example key: a laptop, the embedded mode), there is no
          // one to create the customer with; the first checkout creates it once Stripe is set up.
          if (!stripeConfigured) return
          yield* outbox.enqueue(StripeCustomerMessage, {
            owner_type: "user",
            owner_id: user.id,
            email: user.email,
            name: user.fullName
          })
        })
      })
    })
  )
}

/** The worker's handler: creates the customer (Stripe failing is retried through the retry queue). */
export const stripeCustomerHandler = queueHandler(
  StripeCustomerMessage,
  (request) =>
    Effect.flatMap(
      StripeCustomers,
      (customers) =>
        customers.ensure({ type: request.owner_type, id: request.owner_id, email: request.email, name: request.name })
    )
)
