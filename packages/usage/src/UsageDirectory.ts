/**
 * The operators' view of metered usage (the admin panel): the usage rows of either product
 * within a time window, filtered and paged newest first, one row in full, the credits charged
 * per UTC day and product, and refused validations by reason. Reads only.
 */
import { isUuid, NumericColumn, TimestampColumn } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import type { Product, UsageStatus } from "./UsageLogsRepo.ts"

export const usageStatuses: ReadonlyArray<UsageStatus> = ["PENDING", "SUCCESS", "FAILED", "EXPIRED", "DENIED"]

/** A row of `usage_logs` or `career_usage_logs`; the owner is the workspace (API) or the user (Career). */
export const UsageRecord = Schema.Struct({
  id: Schema.String,
  product: Schema.Literals(["API", "CAREER"]),
  ownerId: Schema.String,
  apiKeyId: Schema.NullOr(Schema.String),
  subscriptionId: Schema.NullOr(Schema.String),
  isTestKey: Schema.Boolean,
  /** As stored (`API_EXTRACT_CUES_RESUME`). */
  featureKey: Schema.String,
  requestId: Schema.String,
  status: Schema.Literals(usageStatuses),
  endpoint: Schema.String,
  method: Schema.String,
  clientIp: Schema.NullOr(Schema.String),
  clientUserAgent: Schema.NullOr(Schema.String),
  usageEstimate: Schema.NullOr(Schema.Unknown),
  creditsReserved: NumericColumn,
  creditsCharged: Schema.NullOr(NumericColumn),
  committedAt: Schema.NullOr(TimestampColumn),
  modelUsed: Schema.NullOr(Schema.String),
  inputTokens: Schema.NullOr(Schema.Int),
  outputTokens: Schema.NullOr(Schema.Int),
  latencyMs: Schema.NullOr(Schema.Int),
  failureType: Schema.NullOr(Schema.String),
  failureReason: Schema.NullOr(Schema.String),
  createdAt: TimestampColumn
})
export type UsageRecord = typeof UsageRecord.Type

export interface UsageQuery {
  readonly product: Product
  readonly status: UsageStatus | undefined
  /** As stored (`API_EXTRACT_CUES_RESUME`). */
  readonly featureKey: string | undefined
  /** The workspace (API) or the user (Career). */
  readonly ownerId: string | undefined
  readonly requestId: string | undefined
  /** Rows created from then on. */
  readonly since: DateTime.Utc
  readonly limit: number
  readonly offset: number
}

const Filters = Schema.Struct({
  status: Schema.NullOr(Schema.String),
  featureKey: Schema.NullOr(Schema.String),
  ownerId: Schema.NullOr(Schema.String),
  requestId: Schema.NullOr(Schema.String),
  since: TimestampColumn
})

/** A filter's text, `null` when blank. */
const text = (value: string | undefined) => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? null : trimmed
}

/** Each product's table, with its columns under the names both share. */
const sources = {
  API: {
    table: "usage_logs",
    owner: "workspace_id",
    columns: "'API' AS product, workspace_id AS owner_id, api_key_id, NULL::uuid AS subscription_id, is_test_key"
  },
  CAREER: {
    table: "career_usage_logs",
    owner: "user_id",
    columns: "'CAREER' AS product, user_id AS owner_id, NULL::uuid AS api_key_id, subscription_id, false AS is_test_key"
  }
} as const

const sharedColumns = "id, feature_key, request_id, status, endpoint, method, client_ip, client_user_agent, " +
  "usage_estimate, credits_reserved, credits_charged, committed_at, model_used, input_tokens, output_tokens, " +
  "latency_ms, failure_type, failure_reason, created_at"

export interface DailyCredits {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string
  readonly product: Product
  readonly credits: number
}

export interface DenialCount {
  readonly product: Product
  readonly reason: string
  readonly count: number
}

export class UsageDirectory extends Context.Service<UsageDirectory, {
  list(query: UsageQuery): Effect.Effect<{ readonly items: ReadonlyArray<UsageRecord>; readonly total: number }>
  find(product: Product, id: string): Effect.Effect<Option.Option<UsageRecord>>
  /** Credits charged (successful commits) per UTC day and product since `since`; days without any are left out. */
  creditsPerDay(since: DateTime.Utc): Effect.Effect<ReadonlyArray<DailyCredits>>
  /** Refused validations by product and reason since the UTC day of `since`. */
  denialsByReason(since: DateTime.Utc): Effect.Effect<ReadonlyArray<DenialCount>>
}>()("@cuebx/usage/UsageDirectory") {
  static readonly layer = Layer.effect(
    UsageDirectory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const selected = (product: Product) =>
        sql`SELECT ${sql.literal(`${sources[product].columns}, ${sharedColumns}`)} FROM ${
          sql.literal(sources[product].table)
        }`
      const where = (product: Product, filters: typeof Filters.Encoded) =>
        sql`
          WHERE created_at >= ${filters.since}
            AND (${filters.status}::text IS NULL OR status = ${filters.status})
            AND (${filters.featureKey}::text IS NULL OR feature_key = ${filters.featureKey})
            AND (${filters.ownerId}::uuid IS NULL OR ${sql.literal(sources[product].owner)} = ${filters.ownerId}::uuid)
            AND (${filters.requestId}::text IS NULL OR request_id = ${filters.requestId})`
      const page = (product: Product) =>
        SqlSchema.findAll({
          Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
          Result: UsageRecord,
          execute: ({ limit, offset, ...filters }) =>
            sql`${selected(product)} ${
              where(product, filters)
            } ORDER BY created_at DESC, id LIMIT ${limit} OFFSET ${offset}`
        })
      const count = (product: Product) =>
        SqlSchema.findOne({
          Request: Filters,
          Result: Schema.Struct({ total: Schema.Int }),
          execute: (filters) =>
            sql`SELECT count(*)::int AS total FROM ${sql.literal(sources[product].table)} ${where(product, filters)}`
        })
      const byId = (product: Product) =>
        SqlSchema.findOneOption({
          Request: Schema.String,
          Result: UsageRecord,
          execute: (id) => sql`${selected(product)} WHERE id = ${id}`
        })
      const perDay = SqlSchema.findAll({
        Request: TimestampColumn,
        Result: Schema.Struct({
          day: Schema.String,
          product: Schema.Literals(["API", "CAREER"]),
          credits: Schema.Number
        }),
        execute: (since) =>
          sql`
            SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, 'API' AS product,
                   sum(credits_charged)::float8 AS credits
            FROM usage_logs WHERE created_at >= ${since} AND status = 'SUCCESS' GROUP BY 1
            UNION ALL
            SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 'CAREER', sum(credits_charged)::float8
            FROM career_usage_logs WHERE created_at >= ${since} AND status = 'SUCCESS' GROUP BY 1
            ORDER BY 1, 2`
      })
      const denials = SqlSchema.findAll({
        Request: Schema.String,
        Result: Schema.Struct({
          product: Schema.Literals(["API", "CAREER"]),
          reason: Schema.String,
          count: Schema.Int
        }),
        execute: (sinceDay) =>
          sql`
            SELECT product, reason, sum(count)::int AS count FROM usage_denials
            WHERE day >= ${sinceDay}::date GROUP BY 1, 2 ORDER BY 1, 2`
      })

      return UsageDirectory.of({
        list: Effect.fn("UsageDirectory.list")(function*(query: UsageQuery) {
          const ownerId = text(query.ownerId)
          if (ownerId !== null && !isUuid(ownerId)) return { items: [], total: 0 }
          const filters = {
            status: query.status ?? null,
            featureKey: text(query.featureKey),
            ownerId,
            requestId: text(query.requestId),
            since: query.since
          }
          const [items, { total }] = yield* Effect.all([
            page(query.product)({ ...filters, limit: query.limit, offset: query.offset }),
            count(query.product)(filters)
          ])
          return { items, total }
        }, Effect.orDie),
        find: (product, id) => isUuid(id) ? byId(product)(id).pipe(Effect.orDie) : Effect.succeed(Option.none()),
        creditsPerDay: (since) => perDay(since).pipe(Effect.orDie),
        denialsByReason: (since) => denials(DateTime.formatIsoDateUtc(since)).pipe(Effect.orDie)
      })
    })
  )
}
