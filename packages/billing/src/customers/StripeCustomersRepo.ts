/**
 * The only SQL on `stripe_customers`: one Stripe customer per billing owner (a user or a
 * workspace). A customer is stored with insert-on-conflict right after Stripe created it, outside
 * any longer transaction, so a rollback elsewhere never orphans it.
 */
import { UpperCaseEnum } from "@cuebx/db"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const OwnerType = Schema.Literals(["user", "workspace"])
export type OwnerType = typeof OwnerType.Type

const Owner = Schema.Struct({ ownerType: UpperCaseEnum(OwnerType.literals), ownerId: Schema.String })

export class StripeCustomersRepo extends Context.Service<StripeCustomersRepo, {
  find(ownerType: OwnerType, ownerId: string): Effect.Effect<Option.Option<string>>
  /** Stores the customer unless the owner has one; returns the owner's customer either way. */
  store(ownerType: OwnerType, ownerId: string, stripeCustomerId: string): Effect.Effect<string>
}>()("@cuebx/billing/StripeCustomersRepo") {
  static readonly layer = Layer.effect(
    StripeCustomersRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const byOwner = SqlSchema.findOneOption({
        Request: Owner,
        Result: Schema.Struct({ stripeCustomerId: Schema.String }),
        execute: ({ ownerId, ownerType }) =>
          sql`
            SELECT stripe_customer_id FROM stripe_customers
            WHERE owner_type = ${ownerType} AND owner_id = ${ownerId}`
      })
      const insert = SqlSchema.void({
        Request: Schema.Struct({ ...Owner.fields, stripeCustomerId: Schema.String }),
        execute: (row) => sql`INSERT INTO stripe_customers ${sql.insert(row)} ON CONFLICT DO NOTHING`
      })
      const find = Effect.fn("StripeCustomersRepo.find")(function*(ownerType: OwnerType, ownerId: string) {
        return Option.map(yield* byOwner({ ownerType, ownerId }), (row) => row.stripeCustomerId)
      }, Effect.orDie)
      return StripeCustomersRepo.of({
        find,
        store: Effect.fn("StripeCustomersRepo.store")(function*(ownerType, ownerId, stripeCustomerId) {
          yield* insert({ ownerType, ownerId, stripeCustomerId }).pipe(Effect.orDie)
          const stored = yield* find(ownerType, ownerId)
          return Option.getOrElse(stored, () => stripeCustomerId)
        })
      })
    })
  )
}
