/**
 * The prices of metered usage, held in memory by every process that validates: each plan's
 * pricing rule (allowance, multiplier, rate limits) and each feature's cost, multiplied and
 * quantized to two decimals once, when loaded. Reloaded when a change to plans, rules or costs is
 * announced (`plan`, `pricing_rule`, `feature_cost`) or the change feed reconnects. Building it
 * refuses to start when an active plan has no rule or a feature no cost.
 */
import { type FeatureKey, featureKeys } from "@cuebx/contract"
import { ChangeFeed } from "@cuebx/db"
import { BigDecimal, Clock, Context, Effect, Layer, Stream } from "effect"
import { PricingRepo, type PricingRows, type PricingRule } from "./PricingRepo.ts"

/** What a request of a feature costs on a plan: the feature's cost × the plan's multiplier, 2 decimals. */
export const quantizedCost = (credits: BigDecimal.BigDecimal, multiplier: BigDecimal.BigDecimal) =>
  BigDecimal.scale(BigDecimal.round(BigDecimal.multiply(credits, multiplier), { scale: 2, mode: "half-even" }), 2)

export interface Catalog {
  rule(planId: string): PricingRule | undefined
  /** The quantized cost of the feature on the plan; `undefined` when either has no price. */
  cost(planId: string, featureKey: FeatureKey): BigDecimal.BigDecimal | undefined
}

const catalogOf = (rows: PricingRows): Catalog => {
  const rules = new Map(rows.rules.map((rule) => [rule.planId, rule]))
  const costs = new Map(rows.costs.map((cost) => [cost.featureKey, cost.internalCostCredits]))
  const priced = new Map<string, BigDecimal.BigDecimal>()
  for (const rule of rows.rules) {
    for (const [featureKey, credits] of costs) {
      priced.set(`${rule.planId} ${featureKey}`, quantizedCost(credits, rule.multiplier))
    }
  }
  return {
    rule: (planId) => rules.get(planId),
    cost: (planId, featureKey) => priced.get(`${planId} ${featureKey}`)
  }
}

/** What the start-up check finds missing; empty when every active plan and every feature is priced. */
export const unpriced = (rows: PricingRows): ReadonlyArray<string> => {
  const withRule = new Set(rows.rules.map((rule) => rule.planId))
  const withCost = new Set<string>(rows.costs.map((cost) => cost.featureKey))
  return [
    ...rows.activePlans.filter((plan) => !withRule.has(plan.id)).map((plan) =>
      `plan ${plan.productType}/${plan.name} has no pricing rule`
    ),
    ...featureKeys.filter((key) => !withCost.has(key)).map((key) => `feature ${key} has no cost`)
  ]
}

const watchedKinds: ReadonlySet<string> = new Set(["plan", "pricing_rule", "feature_cost"])

/** A miss reloads at most this often (a plan `sync-plans` added since the last load). */
const refreshIntervalMillis = 1000

export class PricingCatalog extends Context.Service<PricingCatalog, {
  /** The catalogue as last loaded. */
  readonly current: Effect.Effect<Catalog>
  /** After a miss: loads it again, unless it was loaded less than a second ago. */
  readonly refresh: Effect.Effect<Catalog>
}>()("@cuebx/usage/PricingCatalog") {
  static readonly layer = Layer.effect(
    PricingCatalog,
    Effect.gen(function*() {
      const repo = yield* PricingRepo
      // Subscribed before the first load, so no change between the two is missed.
      const changes = yield* (yield* ChangeFeed).subscribe
      const rows = yield* repo.load
      const missing = unpriced(rows)
      if (missing.length > 0) {
        return yield* Effect.die(
          new Error(`Usage pricing is incomplete (${missing.join("; ")}): run \`cuebx sync-plans\``)
        )
      }
      let catalog = catalogOf(rows)
      let loadedAt = yield* Clock.currentTimeMillis

      const reload = Effect.gen(function*() {
        const fresh = catalogOf(yield* repo.load)
        catalog = fresh
        loadedAt = yield* Clock.currentTimeMillis
        return fresh
      })

      yield* changes.pipe(
        Stream.filter((event) => event._tag === "Reset" || watchedKinds.has(event.kind)),
        Stream.runForEach(() =>
          reload.pipe(Effect.catchCause((cause) => Effect.logWarning("Could not reload usage pricing", cause)))
        ),
        Effect.forkScoped
      )

      return PricingCatalog.of({
        current: Effect.sync(() => catalog),
        refresh: Effect.gen(function*() {
          if ((yield* Clock.currentTimeMillis) - loadedAt < refreshIntervalMillis) return catalog
          return yield* reload
        })
      })
    })
  )
}
