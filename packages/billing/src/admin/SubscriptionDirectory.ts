/**
 * The operators' view of the subscriptions of both products (the admin panel): every row,
 * filtered and paged newest first, one in full with its plan, and the dashboard's figures: the
 * owners' current subscriptions by plan, and the monthly recurring revenue. A subscription is
 * current when it is its owner's (the owner's context points to it); its owner is a workspace
 * (API) or a user (Career), whose names are their domains' to tell.
 */
import { ProductType, SubscriptionStatus } from "@cuebx/contract"
import { blankToNull, isUuid, NumericColumn, storedUpperCase } from "@cuebx/db"
import { type BigDecimal, Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { PlanTypeColumn } from "../Plans.ts"
import { Subscription } from "../SubscriptionsRepo.ts"

export const DirectorySubscription = Schema.Struct({
  ...Subscription.fields,
  planName: Schema.String,
  planType: PlanTypeColumn,
  isDeleted: Schema.Boolean,
  /** It is its owner's subscription (not one replaced since). */
  isCurrent: Schema.Boolean
})
export type DirectorySubscription = typeof DirectorySubscription.Type

export interface SubscriptionSearch {
  readonly product: ProductType | undefined
  readonly status: SubscriptionStatus | undefined
  readonly planId: string | undefined
  /** The workspace or user. */
  readonly ownerId: string | undefined
  /** A subscription id, or a Stripe subscription or customer id, exactly. */
  readonly text: string | undefined
  readonly limit: number
  readonly offset: number
}

export interface PlanCount {
  readonly planId: string
  readonly planName: string
  readonly product: ProductType
  readonly subscriptions: number
}

export interface RecurringRevenue {
  readonly product: ProductType
  readonly currency: string
  /** Per month: yearly plans count a twelfth. */
  readonly amount: BigDecimal.BigDecimal
  readonly subscriptions: number
}

const Filters = Schema.Struct({
  product: Schema.NullOr(Schema.String),
  status: Schema.NullOr(Schema.String),
  planId: Schema.NullOr(Schema.String),
  ownerId: Schema.NullOr(Schema.String),
  text: Schema.NullOr(Schema.String),
  /** The text when it can be a subscription id. */
  id: Schema.NullOr(Schema.String)
})

export class SubscriptionDirectory extends Context.Service<SubscriptionDirectory, {
  search(
    query: SubscriptionSearch
  ): Effect.Effect<{ readonly items: ReadonlyArray<DirectorySubscription>; readonly total: number }>
  find(id: string): Effect.Effect<Option.Option<DirectorySubscription>>
  /** Current subscriptions that are active or trialing, per plan (plans without any left out). */
  readonly activeByPlan: Effect.Effect<ReadonlyArray<PlanCount>>
  /** What current active subscriptions of paid plans bring per month: base price plus seats × seat price. */
  readonly monthlyRecurringRevenue: Effect.Effect<ReadonlyArray<RecurringRevenue>>
}>()("@cuebx/billing/SubscriptionDirectory") {
  static readonly layer = Layer.effect(
    SubscriptionDirectory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const current = sql.literal(`(
        EXISTS (SELECT 1 FROM api_subscription_contexts c WHERE c.subscription_id = s.id)
        OR EXISTS (SELECT 1 FROM career_subscription_contexts c WHERE c.subscription_id = s.id))`)
      const selected = sql`
        SELECT s.*, p.name AS plan_name, p.type AS plan_type, ${current} AS is_current
        FROM subscriptions s JOIN plans p ON p.id = s.plan_id`
      const where = (filters: typeof Filters.Encoded) =>
        sql`
          WHERE (${filters.product}::text IS NULL OR s.product_type = ${filters.product})
            AND (${filters.status}::text IS NULL OR s.status = ${filters.status})
            AND (${filters.planId}::uuid IS NULL OR s.plan_id = ${filters.planId}::uuid)
            AND (${filters.ownerId}::uuid IS NULL OR s.owner_id = ${filters.ownerId}::uuid)
            AND (${filters.text}::text IS NULL
              OR s.stripe_subscription_id = ${filters.text} OR s.stripe_customer_id = ${filters.text}
              OR s.id = ${filters.id}::uuid)`
      const page = SqlSchema.findAll({
        Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
        Result: DirectorySubscription,
        execute: ({ limit, offset, ...filters }) =>
          sql`${selected} ${where(filters)} ORDER BY s.created_at DESC, s.id LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: Filters,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (filters) => sql`SELECT count(*)::int AS total FROM subscriptions s ${where(filters)}`
      })
      const byId = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: DirectorySubscription,
        execute: (id) => sql`${selected} WHERE s.id = ${id}`
      })
      const perPlan = SqlSchema.findAll({
        Request: Schema.Void,
        Result: Schema.Struct({
          planId: Schema.String,
          planName: Schema.String,
          product: ProductType,
          subscriptions: Schema.Int
        }),
        execute: () =>
          sql`
            SELECT p.id AS plan_id, p.name AS plan_name, p.product_type AS product, count(*)::int AS subscriptions
            FROM subscriptions s JOIN plans p ON p.id = s.plan_id
            WHERE s.status IN ('ACTIVE', 'TRIALING') AND NOT s.is_deleted AND ${current}
            GROUP BY p.id, p.name, p.product_type, p.rank
            ORDER BY p.product_type, p.rank`
      })
      const revenue = SqlSchema.findAll({
        Request: Schema.Void,
        Result: Schema.Struct({
          product: ProductType,
          currency: Schema.String,
          amount: NumericColumn,
          subscriptions: Schema.Int
        }),
        execute: () =>
          sql`
            SELECT s.product_type AS product, p.currency,
                   round(sum(CASE WHEN p.billing_period = 'YEAR'
                     THEN (p.price + p.seat_price * s.seat_count) / 12
                     ELSE p.price + p.seat_price * s.seat_count END), 2)::text AS amount,
                   count(*)::int AS subscriptions
            FROM subscriptions s JOIN plans p ON p.id = s.plan_id
            WHERE s.status = 'ACTIVE' AND NOT s.is_deleted AND p.type = 'PAID' AND ${current}
            GROUP BY 1, 2 ORDER BY 1, 2`
      })

      return SubscriptionDirectory.of({
        search: Effect.fn("SubscriptionDirectory.search")(function*(query: SubscriptionSearch) {
          const planId = blankToNull(query.planId)
          const ownerId = blankToNull(query.ownerId)
          if ((planId !== null && !isUuid(planId)) || (ownerId !== null && !isUuid(ownerId))) {
            return { items: [], total: 0 }
          }
          const text = blankToNull(query.text)
          const filters = {
            product: query.product ?? null,
            status: query.status === undefined ? null : storedUpperCase(query.status),
            planId,
            ownerId,
            text,
            id: text !== null && isUuid(text) ? text : null
          }
          const [items, { total }] = yield* Effect.all([
            page({ ...filters, limit: query.limit, offset: query.offset }),
            count(filters)
          ])
          return { items, total }
        }, Effect.orDie),
        find: (id) => isUuid(id) ? byId(id).pipe(Effect.orDie) : Effect.succeed(Option.none()),
        activeByPlan: perPlan(undefined).pipe(Effect.orDie, Effect.withSpan("SubscriptionDirectory.activeByPlan")),
        monthlyRecurringRevenue: revenue(undefined).pipe(
          Effect.orDie,
          Effect.withSpan("SubscriptionDirectory.monthlyRecurringRevenue")
        )
      })
    })
  )
}
