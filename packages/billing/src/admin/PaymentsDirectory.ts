/**
 * The operators' view of the payments of both products (the admin panel): every paid invoice,
 * filtered and paged newest first, and one in full. Reads only; `PaymentsRepo` records them.
 */
import type { ProductType } from "@cuebx/contract"
import { blankToNull, isUuid, storedUpperCase } from "@cuebx/db"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { Payment } from "../PaymentsRepo.ts"

export const paymentStatuses = ["succeeded", "refunded"] as const

export interface PaymentSearch {
  readonly product: ProductType | undefined
  readonly status: typeof paymentStatuses[number] | undefined
  /** The workspace or user. */
  readonly ownerId: string | undefined
  readonly subscriptionId: string | undefined
  /** The provider's invoice id, exactly. */
  readonly invoice: string | undefined
  readonly limit: number
  readonly offset: number
}

const Filters = Schema.Struct({
  product: Schema.NullOr(Schema.String),
  status: Schema.NullOr(Schema.String),
  ownerId: Schema.NullOr(Schema.String),
  subscriptionId: Schema.NullOr(Schema.String),
  invoice: Schema.NullOr(Schema.String)
})

export class PaymentsDirectory extends Context.Service<PaymentsDirectory, {
  search(query: PaymentSearch): Effect.Effect<{ readonly items: ReadonlyArray<Payment>; readonly total: number }>
  find(id: string): Effect.Effect<Option.Option<Payment>>
}>()("@cuebx/billing/PaymentsDirectory") {
  static readonly layer = Layer.effect(
    PaymentsDirectory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const where = (filters: typeof Filters.Encoded) =>
        sql`
          WHERE (${filters.product}::text IS NULL OR product_type = ${filters.product})
            AND (${filters.status}::text IS NULL OR status = ${filters.status})
            AND (${filters.ownerId}::uuid IS NULL OR owner_id = ${filters.ownerId}::uuid)
            AND (${filters.subscriptionId}::uuid IS NULL OR subscription_id = ${filters.subscriptionId}::uuid)
            AND (${filters.invoice}::text IS NULL OR provider_invoice_id = ${filters.invoice})`
      const page = SqlSchema.findAll({
        Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
        Result: Payment,
        execute: ({ limit, offset, ...filters }) =>
          sql`SELECT * FROM payments ${where(filters)} ORDER BY paid_at DESC, id LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: Filters,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (filters) => sql`SELECT count(*)::int AS total FROM payments ${where(filters)}`
      })
      const byId = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Payment,
        execute: (id) => sql`SELECT * FROM payments WHERE id = ${id}`
      })

      return PaymentsDirectory.of({
        search: Effect.fn("PaymentsDirectory.search")(function*(query: PaymentSearch) {
          const ownerId = blankToNull(query.ownerId)
          const subscriptionId = blankToNull(query.subscriptionId)
          if ([ownerId, subscriptionId].some((id) => id !== null && !isUuid(id))) return { items: [], total: 0 }
          const filters = {
            product: query.product ?? null,
            status: query.status === undefined ? null : storedUpperCase(query.status),
            ownerId,
            subscriptionId,
            invoice: blankToNull(query.invoice)
          }
          const [items, { total }] = yield* Effect.all([
            page({ ...filters, limit: query.limit, offset: query.offset }),
            count(filters)
          ])
          return { items, total }
        }, Effect.orDie),
        find: (id) => isUuid(id) ? byId(id).pipe(Effect.orDie) : Effect.succeed(Option.none())
      })
    })
  )
}
