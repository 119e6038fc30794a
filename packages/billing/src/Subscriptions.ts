/**
 * Subscriptions of both products: a workspace's API subscription and a user's Career
 * subscription, each with its plan, the credits used in the period and the plan's allowance, the
 * rule of which subscriptions are current, and the Free subscriptions every verified user starts
 * with. Stripe-driven changes (checkout, seats, upgrades, webhooks) arrive with the billing issue.
 */
import type { ProductType, SubscriptionStatus } from "@cuebx/contract"
import { transactionWith } from "@cuebx/db"
import { BigDecimal, Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { type Plan, Plans } from "./Plans.ts"
import { type StoredHolding, type Subscription, SubscriptionsRepo } from "./SubscriptionsRepo.ts"

/**
 * Whether a subscription still gives its plan: paid up, trialing, or in Stripe's payment grace
 * period (past_due, unpaid), which the reference treated as "no subscription" everywhere.
 */
export const currentStatuses: ReadonlySet<SubscriptionStatus> = new Set(["active", "trialing", "past_due", "unpaid"])

/** A subscription with its plan, the credits used in the period and the plan's allowance. */
export interface PlanHolding {
  readonly subscription: Subscription
  readonly plan: Plan
  readonly creditsUsed: BigDecimal.BigDecimal
  /** The plan's credits per period, 0 when it has no rule. */
  readonly creditsAllocation: BigDecimal.BigDecimal
  /** Whether the subscription still gives its plan (see `currentStatuses`). */
  readonly isCurrent: boolean
}

export interface WorkspaceHolding extends PlanHolding {
  readonly workspaceId: string
}

export interface CareerHolding extends PlanHolding {
  readonly userId: string
}

const zero = BigDecimal.fromBigInt(0n)

const holdingOf = (stored: StoredHolding): PlanHolding => ({
  subscription: stored.subscription,
  plan: stored.plan,
  creditsUsed: stored.creditsUsed,
  creditsAllocation: Option.getOrElse(stored.creditsAllocation, () => zero),
  isCurrent: currentStatuses.has(stored.subscription.status)
})

const workspaceHolding = (stored: StoredHolding): WorkspaceHolding => ({
  ...holdingOf(stored),
  workspaceId: stored.ownerId
})

const careerHolding = (stored: StoredHolding): CareerHolding => ({ ...holdingOf(stored), userId: stored.ownerId })

export class Subscriptions extends Context.Service<Subscriptions, {
  /** The subscriptions of these workspaces, whatever their status, by workspace id. */
  ofWorkspaces(workspaceIds: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, WorkspaceHolding>>
  /** The workspace's subscription if it is current. */
  currentOfWorkspace(workspaceId: string): Effect.Effect<Option.Option<WorkspaceHolding>>
  /** The user's Career subscription if it is current. */
  currentOfUser(userId: string): Effect.Effect<Option.Option<CareerHolding>>
  /** One API subscription, current or not (what a change answers with). */
  workspaceHoldingOf(subscriptionId: string): Effect.Effect<Option.Option<WorkspaceHolding>>
  /** One Career subscription, current or not. */
  careerHoldingOf(subscriptionId: string): Effect.Effect<Option.Option<CareerHolding>>
  /** Puts a workspace without a subscription on the API Free plan; run inside the caller's transaction. */
  startFreeApi(workspaceId: string): Effect.Effect<void>
  /**
   * The user's Career subscription (whatever its status), starting the Free plan if there is none.
   * Safe to repeat and race.
   */
  ensureCareer(userId: string): Effect.Effect<CareerHolding>
}>()("@cuebx/billing/Subscriptions") {
  static readonly layer = Layer.effect(
    Subscriptions,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* SubscriptionsRepo
      const plans = yield* Plans
      const inTransaction = transactionWith(sql)

      const ofWorkspaces = Effect.fn("Subscriptions.ofWorkspaces")(function*(workspaceIds: ReadonlyArray<string>) {
        const stored = yield* repo.workspaceHoldings(workspaceIds)
        return new Map(stored.map((holding) => [holding.ownerId, workspaceHolding(holding)]))
      })

      /** A subscription to the product's Free plan (active, one seat, no Stripe); returns its id. */
      const insertFreeSubscription = (productType: ProductType, ownerId: string) =>
        Effect.gen(function*() {
          const plan = yield* plans.freePlan(productType)
          if (Option.isNone(plan)) {
            return yield* Effect.die(`the ${productType} Free plan is missing or inactive: run \`cuebx sync-plans\``)
          }
          return yield* repo.insert({ planId: plan.value.id, productType, ownerId, status: "active", seatCount: 1 })
        })

      return Subscriptions.of({
        ofWorkspaces,
        currentOfWorkspace: Effect.fn("Subscriptions.currentOfWorkspace")(function*(workspaceId) {
          const holding = (yield* ofWorkspaces([workspaceId])).get(workspaceId)
          return Option.filter(Option.fromUndefinedOr(holding), (current) => current.isCurrent)
        }),
        currentOfUser: Effect.fn("Subscriptions.currentOfUser")(function*(userId) {
          const stored = yield* repo.careerHolding(userId)
          return Option.filter(Option.map(stored, careerHolding), (holding) => holding.isCurrent)
        }),
        workspaceHoldingOf: Effect.fn("Subscriptions.workspaceHoldingOf")(function*(subscriptionId) {
          return Option.map(yield* repo.holdingOf(subscriptionId), workspaceHolding)
        }),
        careerHoldingOf: Effect.fn("Subscriptions.careerHoldingOf")(function*(subscriptionId) {
          return Option.map(yield* repo.holdingOf(subscriptionId), careerHolding)
        }),
        startFreeApi: Effect.fn("Subscriptions.startFreeApi")(function*(workspaceId) {
          if (yield* repo.hasApiContext(workspaceId)) return
          yield* repo.insertApiContext(yield* insertFreeSubscription("API", workspaceId), workspaceId)
        }),
        ensureCareer: Effect.fn("Subscriptions.ensureCareer")(function*(userId) {
          yield* inTransaction(Effect.gen(function*() {
            yield* repo.lockCareerOf(userId)
            if (yield* repo.hasCareerContext(userId)) return
            yield* repo.insertCareerContext(yield* insertFreeSubscription("CAREER", userId), userId)
          }))
          const stored = yield* repo.careerHolding(userId)
          if (Option.isNone(stored)) return yield* Effect.die(`no Career subscription for ${userId} after creating it`)
          return careerHolding(stored.value)
        })
      })
    })
  )
}
