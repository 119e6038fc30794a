/**
 * The only SQL on `payments`: the paid invoices of each owner's subscriptions, one row per
 * provider invoice (a repeated `invoice.paid` and `invoice.payment_succeeded` record it once),
 * read newest first in pages.
 */
import { ProductType } from "@cuebx/contract"
import { NumericColumn, TimestampColumn, UpperCaseEnum } from "@cuebx/db"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const Payment = Schema.Struct({
  id: Schema.String,
  subscriptionId: Schema.NullOr(Schema.String),
  productType: ProductType,
  ownerId: Schema.String,
  provider: UpperCaseEnum(["stripe", "paymob", "manual"]),
  providerInvoiceId: Schema.String,
  amount: NumericColumn,
  currency: Schema.String,
  status: UpperCaseEnum(["succeeded", "refunded"]),
  billingReason: Schema.NullOr(Schema.String),
  periodStart: Schema.NullOr(TimestampColumn),
  periodEnd: Schema.NullOr(TimestampColumn),
  hostedInvoiceUrl: Schema.NullOr(Schema.String),
  paidAt: TimestampColumn
})
export type Payment = typeof Payment.Type

const NewPayment = Payment.mapFields(({ id: _id, ...fields }) => fields)
export type NewPayment = typeof NewPayment.Type

const PageRequest = Schema.Struct({
  product: ProductType,
  ownerId: Schema.String,
  limit: Schema.Int,
  offset: Schema.Int
})

export interface PaymentPage {
  readonly items: ReadonlyArray<Payment>
  readonly total: number
}

export class PaymentsRepo extends Context.Service<PaymentsRepo, {
  /** Records a paid invoice once; `false` when it was recorded before. */
  record(payment: NewPayment): Effect.Effect<boolean>
  page(product: ProductType, ownerId: string, limit: number, offset: number): Effect.Effect<PaymentPage>
}>()("@cuebx/billing/PaymentsRepo") {
  static readonly layer = Layer.effect(
    PaymentsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const insert = SqlSchema.findAll({
        Request: NewPayment,
        Result: Schema.Struct({ id: Schema.String }),
        execute: (row) =>
          sql`INSERT INTO payments ${
            sql.insert(row)
          } ON CONFLICT (provider, provider_invoice_id) DO NOTHING RETURNING id`
      })
      const items = SqlSchema.findAll({
        Request: PageRequest,
        Result: Payment,
        execute: ({ limit, offset, ownerId, product }) =>
          sql`
            SELECT * FROM payments WHERE product_type = ${product} AND owner_id = ${ownerId}
            ORDER BY paid_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: PageRequest,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: ({ ownerId, product }) =>
          sql`SELECT count(*)::int AS total FROM payments WHERE product_type = ${product} AND owner_id = ${ownerId}`
      })
      return PaymentsRepo.of({
        record: Effect.fn("PaymentsRepo.record")(function*(payment) {
          return (yield* insert(payment)).length > 0
        }, Effect.orDie),
        page: Effect.fn("PaymentsRepo.page")(function*(product, ownerId, limit, offset) {
          const request = { product, ownerId, limit, offset }
          const [page, { total }] = yield* Effect.all([items(request), count(request)])
          return { items: page, total }
        }, Effect.orDie)
      })
    })
  )
}
