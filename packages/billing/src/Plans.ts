/**
 * Reads of the plan catalogue: the active plans of a product in tier order, one plan, a
 * product's Free plan and a plan's credit and rate-limit rule. The catalogue is written by
 * `PlanCatalogue` (sync-plans), never here.
 */
import type { PlanFeature, PlanResponse } from "@cuebx/contract"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { CatalogueEntry } from "./catalogue/PlanCatalogue.ts"
import type { ProductType } from "./FeatureKeys.ts"

/** A plan of the catalogue as stored (features always carry their four keys). */
export interface Plan extends CatalogueEntry {
  readonly id: string
}

export interface PricingRule {
  readonly planId: string
  readonly multiplier: string
  readonly creditsAllocation: string
  /** `null` means unlimited. */
  readonly rateLimitPerMinute: number | null
  readonly rateLimitPerDay: number | null
}

const first = <A>(rows: ReadonlyArray<A>) => rows[0]

export class Plans extends Context.Service<Plans, {
  /** Active plans of a product, lowest tier first. */
  listActive(product: ProductType): Effect.Effect<ReadonlyArray<Plan>>
  /** An active plan, whatever its product (callers check the product). */
  findActive(id: string): Effect.Effect<Plan | undefined>
  /** Plans by id, even if deactivated since (a subscription keeps its plan). */
  findAnyOf(ids: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, Plan>>
  freePlan(product: ProductType): Effect.Effect<Plan | undefined>
  pricingRule(planId: string): Effect.Effect<PricingRule | undefined>
}>()("@cuebx/billing/Plans") {
  static readonly layer = Layer.effect(
    Plans,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      return Plans.of({
        listActive: (product) =>
          sql<Plan>`
            SELECT * FROM plans
            WHERE product_type = ${product} AND is_active AND NOT is_deleted
            ORDER BY rank`.pipe(Effect.orDie),
        findActive: (id) =>
          sql<Plan>`SELECT * FROM plans WHERE id = ${id} AND is_active AND NOT is_deleted`.pipe(
            Effect.map(first),
            Effect.orDie
          ),
        findAnyOf: (ids) =>
          ids.length === 0
            ? Effect.succeed(new Map())
            : sql<Plan>`SELECT * FROM plans WHERE id IN ${sql.in(ids)}`.pipe(
              Effect.map((rows) => new Map(rows.map((plan) => [plan.id, plan]))),
              Effect.orDie
            ),
        freePlan: (product) =>
          sql<Plan>`
            SELECT * FROM plans
            WHERE product_type = ${product} AND type = 'FREE' AND is_active AND NOT is_deleted
            ORDER BY rank LIMIT 1`.pipe(Effect.map(first), Effect.orDie),
        pricingRule: (planId) =>
          sql<PricingRule>`SELECT * FROM plan_pricing_rules WHERE plan_id = ${planId}`.pipe(
            Effect.map(first),
            Effect.orDie
          )
      })
    })
  )
}

const featureResponse = (feature: Plan["features"][number]): PlanFeature => ({
  title: feature.title,
  description: feature.description,
  value: feature.value,
  category: feature.category
})

export const planResponse = (plan: Plan): PlanResponse => ({
  id: plan.id,
  name: plan.name,
  description: plan.description,
  price: plan.price,
  display_price: plan.displayPrice,
  seat_price: plan.seatPrice,
  seat_display_price: plan.seatDisplayPrice,
  is_active: plan.isActive,
  trial_days: plan.trialDays,
  type: plan.type === "FREE" ? "free" : "paid",
  features: plan.features.map(featureResponse),
  max_seats: plan.maxSeats,
  min_seats: plan.minSeats
})
