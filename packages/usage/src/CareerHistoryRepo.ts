/**
 * The only SQL on `career_analysis_results` besides the commit that creates them: a user's
 * results newest first, paged on `(created_at, id)` so equal times never skip or repeat a row,
 * one result, and soft deletion. Every query is scoped to the user.
 */
import { FeatureKeyColumn } from "@cuebx/billing"
import type { FeatureKey } from "@cuebx/contract"
import { TimestampColumn } from "@cuebx/db"
import { Context, type DateTime, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const AnalysisResult = Schema.Struct({
  id: Schema.String,
  usageLogId: Schema.String,
  featureKey: FeatureKeyColumn,
  title: Schema.NullOr(Schema.String),
  resultData: Schema.Record(Schema.String, Schema.Unknown),
  createdAt: TimestampColumn
})
export type AnalysisResult = typeof AnalysisResult.Type

export interface HistoryPageQuery {
  readonly userId: string
  readonly featureKey: FeatureKey | null
  /** Rows to read (the page size plus one, to know whether more follow). */
  readonly take: number
  /** The id of the last row of the previous page: only rows before it. */
  readonly before: string | null
}

const columns = "id, usage_log_id, feature_key, title, result_data, created_at"

export class CareerHistoryRepo extends Context.Service<CareerHistoryRepo, {
  page(query: HistoryPageQuery): Effect.Effect<ReadonlyArray<AnalysisResult>>
  /** Whether `id` is one of the user's results (deleted ones too: a page's last row may since be gone). */
  isCursorOf(userId: string, id: string): Effect.Effect<boolean>
  find(userId: string, id: string): Effect.Effect<Option.Option<AnalysisResult>>
  /** Returns whether a result of the user's was deleted. */
  softDelete(userId: string, id: string, at: DateTime.Utc): Effect.Effect<boolean>
}>()("@cuebx/usage/CareerHistoryRepo") {
  static readonly layer = Layer.effect(
    CareerHistoryRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const page = SqlSchema.findAll({
        Request: Schema.Struct({
          userId: Schema.String,
          featureKey: Schema.NullOr(FeatureKeyColumn),
          take: Schema.Int,
          before: Schema.NullOr(Schema.String)
        }),
        Result: AnalysisResult,
        execute: ({ before, featureKey, take, userId }) =>
          sql`
            SELECT ${sql.literal(columns)} FROM career_analysis_results
            WHERE user_id = ${userId}::uuid AND NOT is_deleted
              ${featureKey === null ? sql`` : sql`AND feature_key = ${featureKey}`}
              ${
            before === null ? sql`` : sql`AND (created_at, id) < (
                SELECT created_at, id FROM career_analysis_results WHERE id = ${before}::uuid AND user_id = ${userId}::uuid
              )`
          }
            ORDER BY created_at DESC, id DESC
            LIMIT ${take}`
      })
      const cursor = SqlSchema.findOneOption({
        Request: Schema.Struct({ userId: Schema.String, id: Schema.String }),
        Result: Schema.Struct({ id: Schema.String }),
        execute: ({ id, userId }) =>
          sql`SELECT id FROM career_analysis_results WHERE id = ${id}::uuid AND user_id = ${userId}::uuid`
      })
      const one = SqlSchema.findOneOption({
        Request: Schema.Struct({ userId: Schema.String, id: Schema.String }),
        Result: AnalysisResult,
        execute: ({ id, userId }) =>
          sql`
            SELECT ${sql.literal(columns)} FROM career_analysis_results
            WHERE id = ${id}::uuid AND user_id = ${userId}::uuid AND NOT is_deleted`
      })
      const remove = SqlSchema.findAll({
        Request: Schema.Struct({ userId: Schema.String, id: Schema.String, at: TimestampColumn }),
        Result: Schema.Struct({ id: Schema.String }),
        execute: ({ at, id, userId }) =>
          sql`
            UPDATE career_analysis_results SET is_deleted = true, deleted_at = ${at}::timestamptz
            WHERE id = ${id}::uuid AND user_id = ${userId}::uuid AND NOT is_deleted
            RETURNING id`
      })
      return CareerHistoryRepo.of({
        page: Effect.fn("CareerHistoryRepo.page")(function*(query) {
          return yield* page(query)
        }, Effect.orDie),
        isCursorOf: Effect.fn("CareerHistoryRepo.isCursorOf")(function*(userId, id) {
          return (yield* cursor({ userId, id }))._tag === "Some"
        }, Effect.orDie),
        find: Effect.fn("CareerHistoryRepo.find")(function*(userId, id) {
          return yield* one({ userId, id })
        }, Effect.orDie),
        softDelete: Effect.fn("CareerHistoryRepo.softDelete")(function*(userId, id, at) {
          return (yield* remove({ userId, id, at })).length > 0
        }, Effect.orDie)
      })
    })
  )
}
