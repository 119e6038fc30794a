/**
 * The only SQL on `subscriptions` and the two subscription contexts (a workspace's API
 * subscription, a user's Career subscription, each with the credits used in the period). A
 * holding is read in one query: the subscription with its plan and the plan's credit allowance.
 */
import { ProductType, SubscriptionStatus } from "@cuebx/contract"
import { NumericColumn, TimestampColumn, UpperCaseEnum } from "@cuebx/db"
import { type BigDecimal, Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { Plan, planJson } from "./Plans.ts"

/** Stored as `'PAST_DUE'`; `"past_due"` in code and on the wire. */
export const SubscriptionStatusColumn = UpperCaseEnum(SubscriptionStatus.literals)

export const Subscription = Schema.Struct({
  id: Schema.String,
  planId: Schema.String,
  productType: ProductType,
  stripeSubscriptionId: Schema.NullOr(Schema.String),
  stripeCustomerId: Schema.NullOr(Schema.String),
  status: SubscriptionStatusColumn,
  seatCount: Schema.Int,
  currentPeriodStart: Schema.NullOr(TimestampColumn),
  currentPeriodEnd: Schema.NullOr(TimestampColumn),
  cancelAtPeriodEnd: Schema.Boolean,
  canceledAt: Schema.NullOr(TimestampColumn),
  createdAt: TimestampColumn
})
export type Subscription = typeof Subscription.Type

const HoldingRow = Schema.Struct({
  ...Subscription.fields,
  ownerId: Schema.String,
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

const toHolding = ({ creditsAllocation, creditsUsed, ownerId, plan, ...subscription }: typeof HoldingRow.Type) => ({
  ownerId,
  subscription,
  plan,
  creditsUsed,
  creditsAllocation: Option.fromNullOr(creditsAllocation)
})

const NewSubscription = Schema.Struct({
  planId: Schema.String,
  productType: ProductType,
  status: SubscriptionStatusColumn,
  seatCount: Schema.Int
})

const ContextRow = Schema.Struct({ subscriptionId: Schema.String, ownerId: Schema.String })

export class SubscriptionsRepo extends Context.Service<SubscriptionsRepo, {
  workspaceHoldings(workspaceIds: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<StoredHolding>>
  careerHolding(userId: string): Effect.Effect<Option.Option<StoredHolding>>
  /**
   * Holds a transaction-scoped advisory lock on the user's Career subscription (a key in this
   * package's namespace), so concurrent first activations run one after the other.
   */
  lockCareerOf(userId: string): Effect.Effect<void>
  hasApiContext(workspaceId: string): Effect.Effect<boolean>
  hasCareerContext(userId: string): Effect.Effect<boolean>
  /** Returns the new subscription's id. */
  insert(subscription: typeof NewSubscription.Type): Effect.Effect<string>
  insertApiContext(subscriptionId: string, workspaceId: string): Effect.Effect<void>
  insertCareerContext(subscriptionId: string, userId: string): Effect.Effect<void>
}>()("@cuebx/billing/SubscriptionsRepo") {
  static readonly layer = Layer.effect(
    SubscriptionsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const holdingsOf = (context: "api_subscription_contexts" | "career_subscription_contexts", owner: string) =>
        sql`
          SELECT s.*, c.${sql(owner)} AS owner_id, c.credits_used, r.credits_allocation, ${planJson(sql, "p")} AS plan
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

      return SubscriptionsRepo.of({
        workspaceHoldings: Effect.fn("SubscriptionsRepo.workspaceHoldings")(function*(workspaceIds) {
          if (workspaceIds.length === 0) return []
          return (yield* byWorkspaces(workspaceIds)).map(toHolding)
        }, Effect.orDie),
        careerHolding: Effect.fn("SubscriptionsRepo.careerHolding")(function*(userId) {
          return Option.map(yield* byUser(userId), toHolding)
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
        }, Effect.orDie)
      })
    })
  )
}
