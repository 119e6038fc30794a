/**
 * The only SQL on `sales_requests`: storing an inquiry, decoded on the way back.
 */
import { SalesRequestStatus } from "@cuebx/contract"
import { TimestampColumn } from "@cuebx/db"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const StoredInquiry = Schema.Struct({
  id: Schema.String,
  status: SalesRequestStatus,
  createdAt: TimestampColumn
})
export type StoredInquiry = typeof StoredInquiry.Type

const NewInquiry = Schema.Struct({
  firstName: Schema.String,
  lastName: Schema.String,
  email: Schema.String,
  message: Schema.NullOr(Schema.String)
})

export class SalesInquiriesRepo extends Context.Service<SalesInquiriesRepo, {
  insert(inquiry: typeof NewInquiry.Type): Effect.Effect<StoredInquiry>
}>()("@cuebx/workspaces/SalesInquiriesRepo") {
  static readonly layer = Layer.effect(
    SalesInquiriesRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const insert = SqlSchema.findOne({
        Request: NewInquiry,
        Result: StoredInquiry,
        execute: (row) => sql`INSERT INTO sales_requests ${sql.insert(row)} RETURNING id, status, created_at`
      })
      return SalesInquiriesRepo.of({
        insert: Effect.fn("SalesInquiriesRepo.insert")(function*(inquiry) {
          return yield* insert(inquiry)
        }, Effect.orDie)
      })
    })
  )
}
