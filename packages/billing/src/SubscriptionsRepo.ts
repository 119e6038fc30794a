/**
 * The only SQL on `subscriptions` and the two subscription contexts (a workspace's API
 * subscription, a user's Career subscription, each with the credits used in the period). A
 * holding is read in one query: the subscription with its plan and the plan's credit allowance.
 * Writes from Stripe's state go through `SubscriptionState`, which locks the owner first.
 */
import { ProductType, SubscriptionStatus } from "@cuebx/contract"
import { NumericColumn, TimestampColumn, UpperCaseEnum } from "@cuebx/db"
import { type BigDecimal, Context, type DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { Plan, planJson } from "./Plans.ts"

/** Stored as `'PAST_DUE'`; `"past_due"` in code and on the wire. */
export const SubscriptionStatusColumn = UpperCaseEnum(SubscriptionStatus.literals)

export const Subscription = Schema.Struct({
  id: Schema.String,
  planId: Schema.String,
  productType: ProductType,
  /** The workspace (API) or user (Career); `null` only for rows written before owners were recorded. */
  ownerId: Schema.NullOr(Schema.String),
  stripeSubscriptionId: Schema.NullOr(Schema.String),
  stripeCustomerId: Schema.NullOr(Schema.String),
  status: SubscriptionStatusColumn,
  seatCount: Schema.Int,
  currentPeriodStart: Schema.NullOr(TimestampColumn),
  currentPeriodEnd: Schema.NullOr(TimestampColumn),
  cancelAtPeriodEnd: Schema.Boolean,
  canceledAt: Schema.NullOr(TimestampColumn),
  /** What a period costs (base and seats), from Stripe's prices; `null` for free. */
  amount: Schema.NullOr(NumericColumn),
  /** `created` of the last Stripe event applied: older events are skipped. */
  stripeEventCreatedAt: Schema.NullOr(TimestampColumn),
  createdAt: TimestampColumn,
  /** Changes with every write: part of the idempotency keys of changes made through Stripe. */
  updatedAt: TimestampColumn
})
export type Subscription = typeof Subscription.Type

const HoldingRow = Schema.Struct({
  ...Subscription.fields,
  contextOwnerId: Schema.String,
  creditsUsed: NumericColumn,
  creditsAllocation: Schema.NullOr(NumericColumn),
  plan: Plan
})

/** A context's subscription with its plan, as stored. */
export interface StoredHolding {
  /** The workspace (API) or the user (Career) the subscription is for. */
  readonly ownerId: string
  readonly subscription: Subscription
  readonly plan: Plan
  readonly creditsUsed: BigDecimal.BigDecimal
  /** The plan's credits per period; `None` when the plan has no pricing rule. */
  readonly creditsAllocation: Option.Option<BigDecimal.BigDecimal>
}

const toHolding = (
  { contextOwnerId, creditsAllocation, creditsUsed, plan, ...subscription }: typeof HoldingRow.Type
): StoredHolding => ({
  ownerId: contextOwnerId,
  subscription,
  plan,
  creditsUsed,
  creditsAllocation: Option.fromNullOr(creditsAllocation)
})

const NewSubscription = Schema.Struct({
  planId: Schema.String,
  productType: ProductType,
  ownerId: Schema.String,
  status: SubscriptionStatusColumn,
  seatCount: Schema.Int
})

/** Everything Stripe decides about a subscription, written as one. */
export const StripeSubscriptionWrite = Schema.Struct({
  planId: Schema.String,
  stripeCustomerId: Schema.String,
  status: SubscriptionStatusColumn,
  seatCount: Schema.Int,
  currentPeriodStart: Schema.NullOr(TimestampColumn),
  currentPeriodEnd: Schema.NullOr(TimestampColumn),
  cancelAtPeriodEnd: Schema.Boolean,
  canceledAt: Schema.NullOr(TimestampColumn),
  amount: Schema.NullOr(NumericColumn),
  stripeEventCreatedAt: Schema.NullOr(TimestampColumn)
})
export type StripeSubscriptionWrite = typeof StripeSubscriptionWrite.Type

const NewStripeSubscription = Schema.Struct({
  ...StripeSubscriptionWrite.fields,
  productType: ProductType,
  ownerId: Schema.String,
  stripeSubscriptionId: Schema.String
})

const ContextRow = Schema.Struct({ subscriptionId: Schema.String, ownerId: Schema.String })
const ContextKey = Schema.Struct({ product: ProductType, ownerId: Schema.String })

const contextTable = (product: ProductType) =>
  product === "API"
    ? { table: "api_subscription_contexts", owner: "workspace_id" } as const
    : { table: "career_subscription_contexts", owner: "user_id" } as const

export class SubscriptionsRepo extends Context.Service<SubscriptionsRepo, {
  workspaceHoldings(workspaceIds: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<StoredHolding>>
  careerHolding(userId: string): Effect.Effect<Option.Option<StoredHolding>>
  /**
   * One subscription as a holding, current or not: the credits used are its context's while it is
   * the owner's subscription, 0 otherwise.
   */
  holdingOf(subscriptionId: string): Effect.Effect<Option.Option<StoredHolding>>
  /**
   * Holds a transaction-scoped advisory lock on the user's Career subscription (a key in this
   * package's namespace), so concurrent changes to it run one after the other.
   */
  lockCareerOf(userId: string): Effect.Effect<void>
  hasApiContext(workspaceId: string): Effect.Effect<boolean>
  hasCareerContext(userId: string): Effect.Effect<boolean>
  /** Returns the new subscription's id. */
  insert(subscription: typeof NewSubscription.Type): Effect.Effect<string>
  insertApiContext(subscriptionId: string, workspaceId: string): Effect.Effect<void>
  insertCareerContext(subscriptionId: string, userId: string): Effect.Effect<void>
  /** The subscription of a Stripe subscription id, locked until the transaction ends. */
  lockByStripeId(stripeSubscriptionId: string): Effect.Effect<Option.Option<Subscription>>
  findByStripeId(stripeSubscriptionId: string): Effect.Effect<Option.Option<Subscription>>
  insertFromStripe(row: typeof NewStripeSubscription.Type): Effect.Effect<Subscription>
  updateFromStripe(id: string, row: StripeSubscriptionWrite): Effect.Effect<Subscription>
  /** The id of the owner's current subscription (its context), if it has one. */
  contextOf(product: ProductType, ownerId: string): Effect.Effect<Option.Option<string>>
  /** Makes `subscriptionId` the owner's subscription; `resetCredits` starts a new count of credits. */
  pointContext(
    product: ProductType,
    ownerId: string,
    subscriptionId: string,
    options: { readonly resetCredits: boolean }
  ): Effect.Effect<void>
  resetCredits(product: ProductType, ownerId: string): Effect.Effect<void>
  markCanceled(id: string, at: DateTime.Utc): Effect.Effect<void>
  /** Current subscriptions through Stripe whose period ended before `now`, oldest first. */
  pastPeriodEnd(now: DateTime.Utc, limit: number): Effect.Effect<ReadonlyArray<Subscription>>
}>()("@cuebx/billing/SubscriptionsRepo") {
  static readonly layer = Layer.effect(
    SubscriptionsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const holdingsOf = (context: "api_subscription_contexts" | "career_subscription_contexts", owner: string) =>
        sql`
          SELECT s.*, c.${sql(owner)} AS context_owner_id, c.credits_used, r.credits_allocation,
            ${planJson(sql, "p")} AS plan
          FROM ${sql(context)} c
          JOIN subscriptions s ON s.id = c.subscription_id
          JOIN plans p ON p.id = s.plan_id
          LEFT JOIN plan_pricing_rules r ON r.plan_id = s.plan_id`

      const byWorkspaces = SqlSchema.findAll({
        Request: Schema.Array(Schema.String),
        Result: HoldingRow,
        execute: (ids) =>
          sql`${holdingsOf("api_subscription_contexts", "workspace_id")} WHERE c.workspace_id IN ${sql.in(ids)}`
      })
      const byUser = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: HoldingRow,
        execute: (userId) => sql`${holdingsOf("career_subscription_contexts", "user_id")} WHERE c.user_id = ${userId}`
      })
      const bySubscription = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: HoldingRow,
        execute: (id) =>
          sql`
            SELECT s.*, s.owner_id AS context_owner_id,
              COALESCE(ac.credits_used, cc.credits_used, 0) AS credits_used, r.credits_allocation,
              ${planJson(sql, "p")} AS plan
            FROM subscriptions s
            JOIN plans p ON p.id = s.plan_id
            LEFT JOIN plan_pricing_rules r ON r.plan_id = s.plan_id
            LEFT JOIN api_subscription_contexts ac ON ac.subscription_id = s.id
            LEFT JOIN career_subscription_contexts cc ON cc.subscription_id = s.id
            WHERE s.id = ${id} AND s.owner_id IS NOT NULL`
      })
      const lock = SqlSchema.void({
        Request: Schema.String,
        execute: (key) => sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`
      })
      const apiContext = SqlSchema.findAll({
        Request: Schema.String,
        Result: Schema.Struct({ subscriptionId: Schema.String }),
        execute: (workspaceId) =>
          sql`SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${workspaceId}`
      })
      const careerContext = SqlSchema.findAll({
        Request: Schema.String,
        Result: Schema.Struct({ subscriptionId: Schema.String }),
        execute: (userId) => sql`SELECT subscription_id FROM career_subscription_contexts WHERE user_id = ${userId}`
      })
      const insertSubscription = SqlSchema.findOne({
        Request: NewSubscription,
        Result: Schema.Struct({ id: Schema.String }),
        execute: (row) => sql`INSERT INTO subscriptions ${sql.insert(row)} RETURNING id`
      })
      const insertApi = SqlSchema.void({
        Request: ContextRow,
        execute: ({ ownerId, subscriptionId }) =>
          sql`INSERT INTO api_subscription_contexts (subscription_id, workspace_id) VALUES (${subscriptionId}, ${ownerId})`
      })
      const insertCareer = SqlSchema.void({
        Request: ContextRow,
        execute: ({ ownerId, subscriptionId }) =>
          sql`INSERT INTO career_subscription_contexts (subscription_id, user_id) VALUES (${subscriptionId}, ${ownerId})`
      })
      const byStripeId = (forUpdate: boolean) =>
        SqlSchema.findOneOption({
          Request: Schema.String,
          Result: Subscription,
          execute: (stripeId) =>
            sql`
              SELECT * FROM subscriptions WHERE stripe_subscription_id = ${stripeId}
              ${forUpdate ? sql`FOR UPDATE` : sql``}`
        })
      const lockedByStripeId = byStripeId(true)
      const readByStripeId = byStripeId(false)
      const insertStripe = SqlSchema.findOne({
        Request: NewStripeSubscription,
        Result: Subscription,
        execute: (row) => sql`INSERT INTO subscriptions ${sql.insert(row)} RETURNING *`
      })
      const updateStripe = SqlSchema.findOne({
        Request: Schema.Struct({ id: Schema.String, row: StripeSubscriptionWrite }),
        Result: Subscription,
        execute: ({ id, row }) => sql`UPDATE subscriptions SET ${sql.update(row)} WHERE id = ${id} RETURNING *`
      })
      const contextIdOf = SqlSchema.findOneOption({
        Request: ContextKey,
        Result: Schema.Struct({ subscriptionId: Schema.String }),
        execute: ({ ownerId, product }) => {
          const { owner, table } = contextTable(product)
          return sql`SELECT subscription_id FROM ${sql(table)} WHERE ${sql(owner)} = ${ownerId}`
        }
      })
      const upsertContext = SqlSchema.void({
        Request: Schema.Struct({ ...ContextKey.fields, subscriptionId: Schema.String, resetCredits: Schema.Boolean }),
        execute: ({ ownerId, product, resetCredits, subscriptionId }) => {
          const { owner, table } = contextTable(product)
          return sql`
            INSERT INTO ${sql(table)} (subscription_id, ${sql(owner)}) VALUES (${subscriptionId}, ${ownerId})
            ON CONFLICT (${sql(owner)}) DO UPDATE SET subscription_id = EXCLUDED.subscription_id,
              credits_used = CASE WHEN ${resetCredits} THEN 0 ELSE ${sql(table)}.credits_used END`
        }
      })
      const zeroCredits = SqlSchema.void({
        Request: ContextKey,
        execute: ({ ownerId, product }) => {
          const { owner, table } = contextTable(product)
          return sql`UPDATE ${sql(table)} SET credits_used = 0 WHERE ${sql(owner)} = ${ownerId}`
        }
      })
      const setCanceled = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, at: TimestampColumn }),
        execute: ({ at, id }) =>
          sql`
            UPDATE subscriptions SET status = 'CANCELED', canceled_at = COALESCE(canceled_at, ${at})
            WHERE id = ${id} AND status <> 'CANCELED'`
      })
      const endedPeriods = SqlSchema.findAll({
        Request: Schema.Struct({ now: TimestampColumn, limit: Schema.Int }),
        Result: Subscription,
        execute: ({ limit, now }) =>
          sql`
            SELECT * FROM subscriptions
            WHERE status IN ('ACTIVE', 'TRIALING', 'PAST_DUE', 'UNPAID') AND current_period_end < ${now}
              AND stripe_subscription_id IS NOT NULL AND owner_id IS NOT NULL
            ORDER BY current_period_end LIMIT ${limit}`
      })

      return SubscriptionsRepo.of({
        workspaceHoldings: Effect.fn("SubscriptionsRepo.workspaceHoldings")(function*(workspaceIds) {
          if (workspaceIds.length === 0) return []
          return (yield* byWorkspaces(workspaceIds)).map(toHolding)
        }, Effect.orDie),
        careerHolding: Effect.fn("SubscriptionsRepo.careerHolding")(function*(userId) {
          return Option.map(yield* byUser(userId), toHolding)
        }, Effect.orDie),
        holdingOf: Effect.fn("SubscriptionsRepo.holdingOf")(function*(subscriptionId) {
          return Option.map(yield* bySubscription(subscriptionId), toHolding)
        }, Effect.orDie),
        lockCareerOf: Effect.fn("SubscriptionsRepo.lockCareerOf")(function*(userId) {
          yield* lock(`@cuebx/billing/career-subscription:${userId}`)
        }, Effect.orDie),
        hasApiContext: Effect.fn("SubscriptionsRepo.hasApiContext")(function*(workspaceId) {
          return (yield* apiContext(workspaceId)).length > 0
        }, Effect.orDie),
        hasCareerContext: Effect.fn("SubscriptionsRepo.hasCareerContext")(function*(userId) {
          return (yield* careerContext(userId)).length > 0
        }, Effect.orDie),
        insert: Effect.fn("SubscriptionsRepo.insert")(function*(subscription) {
          return (yield* insertSubscription(subscription)).id
        }, Effect.orDie),
        insertApiContext: Effect.fn("SubscriptionsRepo.insertApiContext")(function*(subscriptionId, workspaceId) {
          yield* insertApi({ subscriptionId, ownerId: workspaceId })
        }, Effect.orDie),
        insertCareerContext: Effect.fn("SubscriptionsRepo.insertCareerContext")(function*(subscriptionId, userId) {
          yield* insertCareer({ subscriptionId, ownerId: userId })
        }, Effect.orDie),
        lockByStripeId: Effect.fn("SubscriptionsRepo.lockByStripeId")(function*(stripeId) {
          return yield* lockedByStripeId(stripeId)
        }, Effect.orDie),
        findByStripeId: Effect.fn("SubscriptionsRepo.findByStripeId")(function*(stripeId) {
          return yield* readByStripeId(stripeId)
        }, Effect.orDie),
        insertFromStripe: Effect.fn("SubscriptionsRepo.insertFromStripe")(function*(row) {
          return yield* insertStripe(row)
        }, Effect.orDie),
        updateFromStripe: Effect.fn("SubscriptionsRepo.updateFromStripe")(function*(id, row) {
          return yield* updateStripe({ id, row })
        }, Effect.orDie),
        contextOf: Effect.fn("SubscriptionsRepo.contextOf")(function*(product, ownerId) {
          return Option.map(yield* contextIdOf({ product, ownerId }), (row) => row.subscriptionId)
        }, Effect.orDie),
        pointContext: Effect.fn("SubscriptionsRepo.pointContext")(function*(product, ownerId, subscriptionId, options) {
          yield* upsertContext({ product, ownerId, subscriptionId, resetCredits: options.resetCredits })
        }, Effect.orDie),
        resetCredits: Effect.fn("SubscriptionsRepo.resetCredits")(function*(product, ownerId) {
          yield* zeroCredits({ product, ownerId })
        }, Effect.orDie),
        markCanceled: Effect.fn("SubscriptionsRepo.markCanceled")(function*(id, at) {
          yield* setCanceled({ id, at })
        }, Effect.orDie),
        pastPeriodEnd: Effect.fn("SubscriptionsRepo.pastPeriodEnd")(function*(now, limit) {
          return yield* endedPeriods({ now, limit })
        }, Effect.orDie)
      })
    })
  )
}
