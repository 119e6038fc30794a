/**
 * The only SQL on the usage logs and quotas of both products. Recording validations
 * (`cuebx_record_usage`) reserves each cost on the period's quota with one conditional upsert
 * (never above the allowance) and inserts the usage row, PENDING or DENIED, unless the request
 * id was seen before. Settling moves rows out of PENDING exactly once; a failure or an expiry
 * gives the reservation back in the same statement, a success keeps it as the charge. On the
 * request path both are group-committed: concurrent requests share one statement, one
 * transaction and one WAL flush, each still decided on its own.
 */
import { featureKeyDbName } from "@cuebx/billing"
import { type FeatureKey, formatAmount } from "@cuebx/contract"
import { NumericColumn, TimestampColumn } from "@cuebx/db"
import { type BigDecimal, Context, DateTime, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { groupCommit } from "./GroupCommit.ts"
import type { Period } from "./Periods.ts"

export type Product = "API" | "CAREER"

/** Who a usage row belongs to: an API key of a workspace, or a Career user's subscription. */
export type UsageOwner =
  | { readonly product: "API"; readonly workspaceId: string; readonly apiKeyId: string; readonly isTestKey: boolean }
  | { readonly product: "CAREER"; readonly userId: string; readonly subscriptionId: string }

export interface NewUsage {
  readonly id: string
  readonly owner: UsageOwner
  readonly requestId: string
  readonly fingerprint: string
  readonly featureKey: FeatureKey
  readonly endpoint: string
  readonly method: string
  readonly clientIp: string | null
  readonly clientUserAgent: string | null
  readonly usageEstimate: unknown
  /** What the request reserves; zero for a test key, which reserves nothing. */
  readonly cost: BigDecimal.BigDecimal
  readonly reserve: boolean
  readonly period: Period
  readonly allowance: BigDecimal.BigDecimal
  /** The application's clock, which the expiry job compares with too. */
  readonly createdAt: DateTime.Utc
}

/** What recording a validation did. */
export type Recorded =
  | {
    readonly _tag: "Granted"
    readonly usageId: string
    /** The quota's granted credits after this reservation; `null` when nothing was reserved. */
    readonly granted: BigDecimal.BigDecimal | null
    /** The period's allowance, operators' adjustment included; `null` when nothing was reserved. */
    readonly allowance: BigDecimal.BigDecimal | null
  }
  | {
    readonly _tag: "Denied"
    readonly usageId: string
    readonly used: BigDecimal.BigDecimal
    /** The period's allowance, operators' adjustment included. */
    readonly allowance: BigDecimal.BigDecimal
  }
  | {
    readonly _tag: "Seen"
    readonly usageId: string
    readonly fingerprint: string
    readonly access: "granted" | "denied"
    readonly creditsReserved: BigDecimal.BigDecimal
    readonly isTestKey: boolean
  }

export type UsageStatus = "PENDING" | "SUCCESS" | "FAILED" | "EXPIRED" | "DENIED"

/** A commit of a usage row, as stored. */
export interface Settlement {
  readonly usageId: string
  readonly success: boolean
  readonly at: DateTime.Utc
  readonly modelUsed: string | null
  readonly inputTokens: number | null
  readonly outputTokens: number | null
  readonly latencyMs: number | null
  readonly failureType: string | null
  readonly failureReason: string | null
}

/** What settling found: whether the row exists and whose it is, what it was, and whether this settled it. */
export interface Settled {
  /** `null` when there is no such usage row. */
  readonly previousStatus: UsageStatus | null
  /** The row belongs to the caller (its API key, its user). */
  readonly owned: boolean
  /** This call moved the row out of PENDING. */
  readonly settled: boolean
}

const Status = Schema.Literals(["PENDING", "SUCCESS", "FAILED", "EXPIRED", "DENIED"])

const RecordedRow = Schema.Struct({
  ord: Schema.Int,
  outcome: Schema.Literals(["granted", "denied", "seen"]),
  usageId: Schema.String,
  fingerprint: Schema.String,
  access: Schema.NullOr(Schema.Literals(["granted", "denied"])),
  credits: NumericColumn,
  testKey: Schema.Boolean,
  granted: Schema.NullOr(NumericColumn),
  used: Schema.NullOr(NumericColumn),
  quotaAllowance: Schema.NullOr(NumericColumn)
})

const SettledRow = Schema.Struct({
  ord: Schema.Int,
  keyFound: Schema.Boolean,
  previousStatus: Schema.NullOr(Status),
  owned: Schema.Boolean,
  settled: Schema.Boolean
})

/** At most this many requests share a statement, and this many statements run at once. */
const batching = { maxBatch: 256, workers: 4 } as const

const iso = (at: DateTime.Utc) => DateTime.formatIso(at)

/** One validation as `cuebx_record_usage` reads it (the snake_case keys of its `jsonb_to_recordset`). */
const recordItem = (usage: NewUsage, ord: number) => {
  const owner = usage.owner
  return {
    ord,
    product: owner.product,
    id: usage.id,
    owner_id: owner.product === "API" ? owner.workspaceId : owner.userId,
    owner_key: owner.product === "API" ? owner.apiKeyId : owner.userId,
    subscription_id: owner.product === "CAREER" ? owner.subscriptionId : null,
    test_key: owner.product === "API" && owner.isTestKey,
    feature_key: featureKeyDbName(usage.featureKey),
    request_id: usage.requestId,
    fingerprint: usage.fingerprint,
    endpoint: usage.endpoint,
    method: usage.method,
    client_ip: usage.clientIp,
    client_user_agent: usage.clientUserAgent,
    usage_estimate: usage.usageEstimate,
    cost: formatAmount(usage.cost),
    reserve: usage.reserve,
    period_start: iso(usage.period.start),
    period_end: iso(usage.period.end),
    allowance: formatAmount(usage.allowance),
    created_at: iso(usage.createdAt)
  }
}

/** A commit as the settling statement reads it; `caller` is the API key's hash, or the user's id. */
interface SettleRequest {
  readonly caller: string
  readonly settlement: Settlement
  /** Career only: the result kept in the history when this commit charges the usage. */
  readonly resultData: string | null
}

const settleItem = ({ caller, resultData, settlement }: SettleRequest, ord: number) => ({
  ord,
  usage_id: settlement.usageId,
  caller,
  success: settlement.success,
  at: iso(settlement.at),
  model_used: settlement.modelUsed,
  input_tokens: settlement.inputTokens,
  output_tokens: settlement.outputTokens,
  latency_ms: settlement.latencyMs,
  failure_type: settlement.failureType,
  failure_reason: settlement.failureReason,
  result_data: resultData
})

const settleInput = `
  input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
      ord int, usage_id uuid, caller text, success boolean, at timestamptz, model_used text, input_tokens int,
      output_tokens int, latency_ms int, failure_type text, failure_reason text, result_data text
    )
  )`

/** The transition and, for failures, the release; `who` is each input row's owner id, as a column of `callers`. */
const settleCore = (logs: string, ownerColumn: string) => `
  target AS (
    SELECT c.ord, u.${ownerColumn} AS owner, u.status FROM callers c LEFT JOIN ${logs} u ON u.id = c.usage_id
  ), settled AS (
    UPDATE ${logs} u SET
      status = CASE WHEN c.success THEN 'SUCCESS' ELSE 'FAILED' END,
      committed_at = c.at,
      credits_charged = CASE WHEN c.success THEN u.credits_reserved END,
      model_used = COALESCE(c.model_used, u.model_used),
      input_tokens = COALESCE(c.input_tokens, u.input_tokens),
      output_tokens = COALESCE(c.output_tokens, u.output_tokens),
      latency_ms = COALESCE(c.latency_ms, u.latency_ms),
      failure_type = COALESCE(c.failure_type, u.failure_type),
      failure_reason = COALESCE(c.failure_reason, u.failure_reason)
    FROM callers c
    WHERE u.id = c.usage_id AND u.status = 'PENDING' AND u.${ownerColumn} = c.who
    RETURNING c.ord, c.success, c.result_data, u.id, u.${ownerColumn} AS owner, u.quota_id, u.credits_reserved,
      u.feature_key
  ), released AS (
    UPDATE usage_quotas q SET granted = q.granted - r.total
    FROM (
      SELECT quota_id, sum(credits_reserved) AS total FROM settled
      WHERE NOT success AND quota_id IS NOT NULL GROUP BY quota_id
    ) r
    WHERE q.id = r.quota_id
  )`

const settleAnswer = `
  SELECT c.ord, c.who IS NOT NULL AS key_found, t.status AS previous_status,
         COALESCE(t.owner = c.who, false) AS owned, EXISTS (SELECT 1 FROM settled s WHERE s.ord = c.ord) AS settled
  FROM callers c LEFT JOIN target t ON t.ord = c.ord`

/** API commits: the caller is the key's hash; a revoked or expired key still owns its usage. */
const settleApiSql = `
  WITH ${settleInput}, callers AS (
    SELECT i.*, k.id AS who FROM input i LEFT JOIN api_keys k ON k.key_hash = i.caller AND NOT k.is_deleted
  ), ${settleCore("usage_logs", "api_key_id")}
  ${settleAnswer}`

/** Career commits: the caller is the user; a charged usage keeps its result in the history. */
const settleCareerSql = `
  WITH ${settleInput}, callers AS (SELECT i.*, i.caller::uuid AS who FROM input i),
  ${settleCore("career_usage_logs", "user_id")}, kept AS (
    INSERT INTO career_analysis_results (usage_log_id, user_id, feature_key, result_data)
    SELECT s.id, s.owner, s.feature_key, s.result_data::jsonb FROM settled s
    WHERE s.success AND s.result_data IS NOT NULL
    ON CONFLICT (usage_log_id) DO NOTHING
  )
  ${settleAnswer}`

/** The two products' logs and whose rows they are. */
const tables = {
  API: { logs: "usage_logs", ownerKey: "api_key_id" },
  CAREER: { logs: "career_usage_logs", ownerKey: "user_id" }
} as const

const isDeadlock = (error: unknown) =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "SqlError" &&
  "reason" in error && (error.reason as { readonly _tag: string })._tag === "DeadlockError"

/**
 * A deadlock (two batches meeting on the same rows in different orders) rolls a whole batch back:
 * every item is idempotent, so the batch simply runs again.
 */
const retryDeadlocks = { while: isDeadlock, times: 3 }

/** Results of a batch statement, in the order of its items (matched by `ord`). */
const inOrder = <Row extends { readonly ord: number }>(rows: ReadonlyArray<Row>, count: number) => {
  const byOrd = new Map(rows.map((row) => [row.ord, row]))
  return Array.from({ length: count }, (_, ord) => {
    const row = byOrd.get(ord)
    if (row === undefined) throw new Error(`a usage batch statement answered nothing for item ${ord}`)
    return row
  })
}

/** Runs a batch statement for `inputs`; its rows come back in the inputs' order. */
const batched = <I, O extends { readonly ord: number }>(
  run: (json: string) => Effect.Effect<ReadonlyArray<O>, unknown>,
  item: (input: I, ord: number) => unknown
) =>
(inputs: ReadonlyArray<I>) =>
  Effect.suspend(() => run(JSON.stringify(inputs.map(item)))).pipe(
    Effect.retry(retryDeadlocks),
    Effect.map((rows) => inOrder(rows, inputs.length)),
    Effect.orDie
  )
/** One input at a time, in the caller's fiber (and so in its transaction). */
const alone = <I, O extends { readonly ord: number }>(
  run: (json: string) => Effect.Effect<ReadonlyArray<O>, unknown>,
  item: (input: I, ord: number) => unknown
) =>
(input: I) =>
  Effect.suspend(() => run(JSON.stringify([item(input, 0)]))).pipe(
    Effect.retry(retryDeadlocks),
    Effect.flatMap((rows) => {
      const row = rows.find((candidate) => candidate.ord === 0)
      return row === undefined ? Effect.die(new Error("a usage statement answered nothing")) : Effect.succeed(row)
    }),
    Effect.orDie
  )

interface Submitters {
  readonly record: (usage: NewUsage) => Effect.Effect<typeof RecordedRow.Type>
  readonly settleApi: (request: SettleRequest) => Effect.Effect<typeof SettledRow.Type>
  readonly settleCareer: (request: SettleRequest) => Effect.Effect<typeof SettledRow.Type>
}

export class UsageLogsRepo extends Context.Service<UsageLogsRepo, {
  record(usage: NewUsage): Effect.Effect<Recorded>
  /** Settles an API usage for the key with this hash (a revoked or expired key still owns its usage). */
  settleApi(keyHash: string, settlement: Settlement): Effect.Effect<Settled & { readonly keyFound: boolean }>
  /** Settles a Career usage for this user; a charged one keeps `resultData` in the user's history. */
  settleCareer(userId: string, settlement: Settlement & { readonly resultData: string | null }): Effect.Effect<Settled>
  /**
   * Expires up to `batch` usage rows of the product still PENDING since before `cutoff`, giving
   * their reservations back; returns how many it expired.
   */
  expire(product: Product, cutoff: DateTime.Utc, at: DateTime.Utc, batch: number): Effect.Effect<number>
}>()("@cuebx/usage/UsageLogsRepo") {
  /** Group-committed: for the request path. */
  static readonly layer = Layer.effect(UsageLogsRepo, UsageLogsRepo.make(true))

  /**
   * One statement per call, in the caller's transaction: for queue handlers, whose writes commit
   * with the record of the handled message.
   */
  static readonly layerDirect = Layer.effect(UsageLogsRepo, UsageLogsRepo.make(false))

  static make(grouped: boolean) {
    return Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const recordBatch = SqlSchema.findAll({
        Request: Schema.String,
        Result: RecordedRow,
        execute: (requests) => sql`SELECT * FROM cuebx_record_usage(${requests}::jsonb)`
      })
      const settleBatch = (text: string) =>
        SqlSchema.findAll({
          Request: Schema.String,
          Result: SettledRow,
          execute: (requests) => sql.unsafe(text, [requests])
        })
      const settleApiBatch = settleBatch(settleApiSql)
      const settleCareerBatch = settleBatch(settleCareerSql)

      const submit: Submitters = grouped
        ? {
          record: yield* groupCommit(batched(recordBatch, recordItem), batching),
          settleApi: yield* groupCommit(batched(settleApiBatch, settleItem), batching),
          settleCareer: yield* groupCommit(batched(settleCareerBatch, settleItem), batching)
        }
        : {
          record: alone(recordBatch, recordItem),
          settleApi: alone(settleApiBatch, settleItem),
          settleCareer: alone(settleCareerBatch, settleItem)
        }

      const statusNow = (product: Product) =>
        SqlSchema.findOne({
          Request: Schema.String,
          Result: Schema.Struct({ status: Status }),
          execute: (id) => sql`SELECT status FROM ${sql.literal(tables[product].logs)} WHERE id = ${id}::uuid`
        })

      /**
       * A row still PENDING in the statement's snapshot that it could not settle was settled by a
       * concurrent commit or the expiry job meanwhile: read what it became.
       */
      const afterRace = <S extends Settled>(product: Product, usageId: string, settled: S) =>
        settled.previousStatus === "PENDING" && settled.owned && !settled.settled
          ? Effect.map(statusNow(product)(usageId), ({ status }) => ({ ...settled, previousStatus: status }))
          : Effect.succeed(settled)

      const expireIn = (product: Product) =>
        SqlSchema.findOne({
          Request: Schema.Struct({ cutoff: TimestampColumn, at: TimestampColumn, batch: Schema.Int }),
          Result: Schema.Struct({ expired: Schema.Int }),
          execute: ({ at, batch, cutoff }) => {
            const logs = sql.literal(tables[product].logs)
            // Quotas are locked in the order validations lock them (by owner), so neither waits on the other in a cycle.
            return sql`
              WITH expired AS (
                UPDATE ${logs} u SET status = 'EXPIRED', committed_at = ${at}::timestamptz
                WHERE u.id IN (
                  SELECT id FROM ${logs} WHERE status = 'PENDING' AND created_at < ${cutoff}::timestamptz
                  ORDER BY created_at LIMIT ${batch}::int FOR UPDATE SKIP LOCKED
                ) AND u.status = 'PENDING'
                RETURNING u.quota_id, u.credits_reserved
              ), owed AS (
                SELECT quota_id, sum(credits_reserved) AS total FROM expired WHERE quota_id IS NOT NULL GROUP BY quota_id
              ), locked AS (
                SELECT q.id FROM usage_quotas q WHERE q.id IN (SELECT quota_id FROM owed)
                ORDER BY q.product, q.owner_id, q.period_start FOR UPDATE
              ), released AS (
                UPDATE usage_quotas q SET granted = q.granted - o.total
                FROM owed o, locked l WHERE q.id = o.quota_id AND l.id = q.id
              )
              SELECT (SELECT count(*) FROM expired)::int AS expired`
          }
        })

      return UsageLogsRepo.of({
        record: Effect.fnUntraced(function*(usage) {
          const row = yield* submit.record(usage)
          switch (row.outcome) {
            case "granted":
              return {
                _tag: "Granted",
                usageId: row.usageId,
                granted: row.granted,
                allowance: row.granted === null ? null : row.quotaAllowance
              } as const
            case "denied": {
              const allowance = row.quotaAllowance ?? usage.allowance
              return { _tag: "Denied", usageId: row.usageId, used: row.used ?? allowance, allowance } as const
            }
            case "seen":
              return {
                _tag: "Seen",
                usageId: row.usageId,
                fingerprint: row.fingerprint,
                access: row.access ?? "granted",
                creditsReserved: row.credits,
                isTestKey: row.testKey
              } as const
          }
        }),
        settleApi: Effect.fnUntraced(function*(keyHash, settlement) {
          const settled = yield* submit.settleApi({ caller: keyHash, settlement, resultData: null })
          return yield* afterRace("API", settlement.usageId, settled)
        }, Effect.orDie),
        settleCareer: Effect.fnUntraced(function*(userId, settlement) {
          const settled = yield* submit.settleCareer({ caller: userId, settlement, resultData: settlement.resultData })
          return yield* afterRace("CAREER", settlement.usageId, settled)
        }, Effect.orDie),
        expire: Effect.fn("UsageLogsRepo.expire")(function*(product, cutoff, at, batch) {
          return (yield* expireIn(product)({ cutoff, at, batch })).expired
        }, Effect.orDie)
      })
    })
  }
}
