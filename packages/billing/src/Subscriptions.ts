/**
 * Subscriptions of both products and their contexts: a workspace's API subscription and a
 * user's Career subscription, with the credits used in the period and the plan's allowance,
 * and the Free subscriptions every verified user starts with. Stripe-driven changes (checkout,
 * seats, upgrades, webhooks) arrive with the billing issue.
 */
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { type Plan, Plans } from "./Plans.ts"

export type SubscriptionStatusName =
  | "ACTIVE"
  | "PAST_DUE"
  | "CANCELED"
  | "INCOMPLETE"
  | "INCOMPLETE_EXPIRED"
  | "TRIALING"
  | "UNPAID"
  | "PAUSED"

export interface Subscription {
  readonly id: string
  readonly planId: string
  readonly productType: "API" | "CAREER"
  readonly stripeSubscriptionId: string | null
  readonly stripeCustomerId: string | null
  readonly status: SubscriptionStatusName
  readonly seatCount: number
  readonly currentPeriodStart: Date | null
  readonly currentPeriodEnd: Date | null
  readonly cancelAtPeriodEnd: boolean
  readonly canceledAt: Date | null
  readonly createdAt: Date
}

/**
 * Whether a subscription still gives its plan: paid up, trialing, or in Stripe's payment grace
 * period (past_due, unpaid), which the reference treated as "no subscription" everywhere.
 */
export const isCurrent = (status: SubscriptionStatusName): boolean =>
  status === "ACTIVE" || status === "TRIALING" || status === "PAST_DUE" || status === "UNPAID"

/** A subscription with its plan, the credits used in the period and the plan's allowance. */
export interface PlanHolding {
  readonly subscription: Subscription
  readonly plan: Plan
  readonly creditsUsed: string
  /** The plan's credits per period, `"0.00"` when it has no rule. */
  readonly creditsAllocation: string
}

export interface WorkspaceHolding extends PlanHolding {
  readonly workspaceId: string
}

export interface CareerHolding extends PlanHolding {
  readonly userId: string
}

interface HoldingRow {
  readonly ownerId: string
  readonly subscriptionId: string
  readonly creditsUsed: string
  readonly creditsAllocation: string | null
}

export class Subscriptions extends Context.Service<Subscriptions, {
  /** The workspace's subscription (whatever its status), if it has one. */
  ofWorkspace(workspaceId: string): Effect.Effect<WorkspaceHolding | undefined>
  ofWorkspaces(workspaceIds: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, WorkspaceHolding>>
  /** The user's Career subscription (whatever its status), if any. */
  ofUser(userId: string): Effect.Effect<CareerHolding | undefined>
  /** Puts a workspace without a subscription on the API Free plan; run inside the caller's transaction. */
  startFreeApi(workspaceId: string): Effect.Effect<void>
  /** The user's Career subscription, starting the Free plan if there is none. Safe to repeat and race. */
  ensureCareer(userId: string): Effect.Effect<CareerHolding>
}>()("@cuebx/billing/Subscriptions") {
  static readonly layer = Layer.effect(
    Subscriptions,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const plans = yield* Plans

      const loadHoldings = (rows: ReadonlyArray<HoldingRow>) =>
        Effect.gen(function*() {
          if (rows.length === 0) return new Map<string, PlanHolding & { readonly ownerId: string }>()
          const subscriptions = yield* sql<Subscription>`
            SELECT * FROM subscriptions WHERE id IN ${sql.in(rows.map((row) => row.subscriptionId))}`
          const byId = new Map(subscriptions.map((subscription) => [subscription.id, subscription]))
          const plansById = yield* plans.findAnyOf([
            ...new Set(subscriptions.map((subscription) => subscription.planId))
          ])
          const holdings = new Map<string, PlanHolding & { readonly ownerId: string }>()
          for (const row of rows) {
            const subscription = byId.get(row.subscriptionId)
            if (subscription === undefined) continue
            const plan = plansById.get(subscription.planId)
            if (plan === undefined) return yield* Effect.die(`subscription ${subscription.id} has no plan`)
            holdings.set(row.ownerId, {
              ownerId: row.ownerId,
              subscription,
              plan,
              creditsUsed: row.creditsUsed,
              creditsAllocation: row.creditsAllocation ?? "0.00"
            })
          }
          return holdings
        })

      const ofWorkspaces = (workspaceIds: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          if (workspaceIds.length === 0) return new Map<string, WorkspaceHolding>()
          const rows = yield* sql<HoldingRow>`
            SELECT c.workspace_id AS owner_id, c.subscription_id, c.credits_used, r.credits_allocation
            FROM api_subscription_contexts c
            JOIN subscriptions s ON s.id = c.subscription_id
            LEFT JOIN plan_pricing_rules r ON r.plan_id = s.plan_id
            WHERE c.workspace_id IN ${sql.in(workspaceIds)}`
          const holdings = yield* loadHoldings(rows)
          return new Map(
            [...holdings].map(([workspaceId, holding]) => [workspaceId, { ...holding, workspaceId }] as const)
          )
        }).pipe(Effect.orDie)

      const ofUser = (userId: string) =>
        Effect.gen(function*() {
          const rows = yield* sql<HoldingRow>`
            SELECT c.user_id AS owner_id, c.subscription_id, c.credits_used, r.credits_allocation
            FROM career_subscription_contexts c
            JOIN subscriptions s ON s.id = c.subscription_id
            LEFT JOIN plan_pricing_rules r ON r.plan_id = s.plan_id
            WHERE c.user_id = ${userId}`
          const holding = (yield* loadHoldings(rows)).get(userId)
          return holding === undefined ? undefined : { ...holding, userId }
        }).pipe(Effect.orDie)

      /** A subscription to the product's Free plan (active, one seat, no Stripe); returns its id. */
      const insertFreeSubscription = (product: "API" | "CAREER") =>
        Effect.gen(function*() {
          const plan = yield* plans.freePlan(product)
          if (plan === undefined) {
            return yield* Effect.die(`the ${product} Free plan is missing or inactive: run \`cuebx sync-plans\``)
          }
          const [subscription] = yield* sql<{ readonly id: string }>`
            INSERT INTO subscriptions (plan_id, product_type, status, seat_count)
            VALUES (${plan.id}, ${product}, 'ACTIVE', 1) RETURNING id`
          return subscription!.id
        })

      const startFreeApi = Effect.fn("Subscriptions.startFreeApi")(function*(workspaceId: string) {
        const existing = yield* sql`SELECT 1 FROM api_subscription_contexts WHERE workspace_id = ${workspaceId}`
        if (existing.length > 0) return
        const subscriptionId = yield* insertFreeSubscription("API")
        yield* sql`
          INSERT INTO api_subscription_contexts (subscription_id, workspace_id)
          VALUES (${subscriptionId}, ${workspaceId})`
      }, Effect.orDie)

      const ensureCareer = Effect.fn("Subscriptions.ensureCareer")(function*(userId: string) {
        yield* sql.withTransaction(Effect.gen(function*() {
          // Serialises concurrent first calls for one user; the unique user_id is the backstop.
          yield* sql`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`
          const existing = yield* sql`SELECT 1 FROM career_subscription_contexts WHERE user_id = ${userId}`
          if (existing.length > 0) return
          const subscriptionId = yield* insertFreeSubscription("CAREER")
          yield* sql`
            INSERT INTO career_subscription_contexts (subscription_id, user_id)
            VALUES (${subscriptionId}, ${userId})`
        }))
        const holding = yield* ofUser(userId)
        if (holding === undefined) return yield* Effect.die(`no Career subscription for ${userId} after creating it`)
        return holding
      }, Effect.orDie)

      return Subscriptions.of({
        ofWorkspace: (workspaceId) => Effect.map(ofWorkspaces([workspaceId]), (holdings) => holdings.get(workspaceId)),
        ofWorkspaces,
        ofUser,
        startFreeApi,
        ensureCareer
      })
    })
  )
}
