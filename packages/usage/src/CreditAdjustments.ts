/**
 * Operators' adjustments of a workspace's credits: where its current API period stands (the
 * plan's allowance, the adjustment, what is granted) and adding or taking credits for that
 * period only. The adjustment is stored on the period's quota row, which every validation reads
 * in its reserving statement (no process caches quotas), so the next validation honours it; the
 * next period starts from the plan's allowance again.
 */
import { Subscriptions } from "@cuebx/billing"
import { NumericColumn, TimestampColumn, transactionWith } from "@cuebx/db"
import { BigDecimal, Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { periodAt } from "./Periods.ts"
import { termsOf } from "./UsageAccounts.ts"

/** A period's credits as operators see them. */
export interface CreditStanding {
  readonly periodStart: DateTime.Utc
  readonly periodEnd: DateTime.Utc
  /** The plan's credits per period. */
  readonly planAllowance: BigDecimal.BigDecimal
  /** What operators added (negative: took) for this period. */
  readonly adjustment: BigDecimal.BigDecimal
  /** Reserved by pending usage plus charged. */
  readonly granted: BigDecimal.BigDecimal
  /** `planAllowance + adjustment - granted`; negative when an adjustment took more than was left. */
  readonly available: BigDecimal.BigDecimal
}

/** The workspace has no current API subscription, so no period whose credits could change. */
export class NoCreditPeriod extends Schema.TaggedError<NoCreditPeriod>()("NoCreditPeriod", {
  workspaceId: Schema.String
}) {}

export class AdjustmentRefused extends Schema.TaggedError<AdjustmentRefused>()("AdjustmentRefused", {
  reason: Schema.String
}) {}

const zero = BigDecimal.fromBigInt(0n)
/** `numeric(12, 2)`: an adjustment stays below this in size. */
const largestAdjustment = BigDecimal.fromStringUnsafe("9999999999.99")

const QuotaKey = Schema.Struct({ ownerId: Schema.String, periodStart: TimestampColumn })
const QuotaRow = Schema.Struct({ adjustment: NumericColumn, granted: NumericColumn })

const standingOf = (
  period: { readonly start: DateTime.Utc; readonly end: DateTime.Utc },
  planAllowance: BigDecimal.BigDecimal,
  row: typeof QuotaRow.Type
): CreditStanding => ({
  periodStart: period.start,
  periodEnd: period.end,
  planAllowance,
  adjustment: row.adjustment,
  granted: row.granted,
  available: BigDecimal.subtract(BigDecimal.sum(planAllowance, row.adjustment), row.granted)
})

export class CreditAdjustments extends Context.Service<CreditAdjustments, {
  /** The workspace's current API period; `None` without a current subscription. */
  standingOfWorkspace(workspaceId: string): Effect.Effect<Option.Option<CreditStanding>>
  /** Adds `credits` (negative: takes them) to the current period; run it in the transaction that audits it. */
  adjustWorkspace(
    workspaceId: string,
    credits: BigDecimal.BigDecimal
  ): Effect.Effect<
    { readonly before: CreditStanding; readonly after: CreditStanding },
    NoCreditPeriod | AdjustmentRefused
  >
}>()("@cuebx/usage/CreditAdjustments") {
  static readonly layer = Layer.effect(
    CreditAdjustments,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const inTransaction = transactionWith(sql)
      const subscriptions = yield* Subscriptions

      const quota = (lock: boolean) =>
        SqlSchema.findOneOption({
          Request: QuotaKey,
          Result: QuotaRow,
          execute: ({ ownerId, periodStart }) =>
            sql`
              SELECT adjustment, granted FROM usage_quotas
              WHERE product = 'API' AND owner_id = ${ownerId} AND period_start = ${periodStart}
              ${lock ? sql`FOR UPDATE` : sql``}`
        })
      const read = quota(false)
      const lockRow = quota(true)
      const upsert = SqlSchema.findOne({
        Request: Schema.Struct({
          ownerId: Schema.String,
          periodStart: TimestampColumn,
          periodEnd: TimestampColumn,
          allowance: NumericColumn,
          credits: NumericColumn
        }),
        Result: QuotaRow,
        // A new row starts from the plan's allowance; an existing one keeps the allowance the last
        // validation wrote (it writes the plan's again each time).
        execute: ({ allowance, credits, ownerId, periodEnd, periodStart }) =>
          sql`
            INSERT INTO usage_quotas AS q (product, owner_id, period_start, period_end, allowance, granted, adjustment)
            VALUES ('API', ${ownerId}, ${periodStart}, ${periodEnd}, ${allowance}, 0, ${credits})
            ON CONFLICT (product, owner_id, period_start) DO UPDATE SET adjustment = q.adjustment + EXCLUDED.adjustment
            RETURNING q.adjustment, q.granted`
      })

      const currentPeriod = Effect.fnUntraced(function*(workspaceId: string) {
        const holding = yield* subscriptions.currentOfWorkspace(workspaceId)
        if (Option.isNone(holding)) return Option.none()
        const period = periodAt(termsOf(holding.value).period, yield* DateTime.now)
        return Option.some({ period, planAllowance: holding.value.creditsAllocation })
      })

      const untouched = { adjustment: zero, granted: zero }

      return CreditAdjustments.of({
        standingOfWorkspace: Effect.fn("CreditAdjustments.standingOfWorkspace")(function*(workspaceId: string) {
          const current = yield* currentPeriod(workspaceId)
          if (Option.isNone(current)) return Option.none()
          const { period, planAllowance } = current.value
          const row = yield* read({ ownerId: workspaceId, periodStart: period.start })
          return Option.some(standingOf(period, planAllowance, Option.getOrElse(row, () => untouched)))
        }, Effect.orDie),
        adjustWorkspace: Effect.fn("CreditAdjustments.adjustWorkspace")(
          function*(workspaceId: string, credits: BigDecimal.BigDecimal) {
            if (BigDecimal.isZero(credits)) {
              return yield* new AdjustmentRefused({ reason: "An adjustment of 0 changes nothing." })
            }
            if (BigDecimal.normalize(credits).scale > 2) {
              return yield* new AdjustmentRefused({ reason: "Credits have at most two decimals." })
            }
            return yield* inTransaction(Effect.gen(function*() {
              const current = yield* currentPeriod(workspaceId)
              if (Option.isNone(current)) return yield* new NoCreditPeriod({ workspaceId })
              const { period, planAllowance } = current.value
              const row = yield* lockRow({ ownerId: workspaceId, periodStart: period.start })
              const before = standingOf(period, planAllowance, Option.getOrElse(row, () => untouched))
              if (
                BigDecimal.isGreaterThan(BigDecimal.abs(BigDecimal.sum(before.adjustment, credits)), largestAdjustment)
              ) {
                return yield* new AdjustmentRefused({ reason: "The period's adjustment would be too large." })
              }
              const written = yield* upsert({
                ownerId: workspaceId,
                periodStart: period.start,
                periodEnd: period.end,
                allowance: planAllowance,
                credits
              })
              return { before, after: standingOf(period, planAllowance, written) }
            }))
          },
          Effect.catchTag(["SchemaError", "NoSuchElementError"], Effect.die)
        )
      })
    })
  )
}
