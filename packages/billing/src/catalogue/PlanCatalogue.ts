/**
 * Keeps the database's plan catalogue in line with `plans.json`: reads `plans`,
 * `plan_pricing_rules` and `feature_cost_configs`, computes the difference (`CatalogueDiff`) and
 * applies it in one transaction. Plans follow the file; pricing rules and feature costs are only
 * ever created, never overwritten (admins tune them). Reading plans for users is Plans' job, not
 * this one's. Needs a `FileSystem` from the program.
 */
import { ProductType } from "@cuebx/contract"
import { NumericColumn, transactionWith } from "@cuebx/db"
import { Context, Effect, FileSystem, Layer, Schema, String } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { createHash } from "node:crypto"
import { StripePriceIds, type UnknownStripePriceEnv } from "../BillingConfig.ts"
import { FeatureKeyColumn } from "../FeatureKeys.ts"
import { PlanDefinition, PlanFeature } from "../Plans.ts"
import {
  type CatalogueDiff,
  catalogueEntries,
  comparedFields,
  computeDiff,
  type DatabaseState,
  diffSummary,
  type NoDefaultPricingRule,
  planKey,
  type RankTaken,
  StoredPlan,
  type SyncMode
} from "./CatalogueDiff.ts"
import { type CatalogueFileError, defaultCatalogueFilePath, loadCatalogueFile } from "./CatalogueFile.ts"

export interface SyncOptions {
  readonly mode?: SyncMode
  /** A catalogue file other than the packaged one. */
  readonly file?: string
}

export type CatalogueSyncError = CatalogueFileError | UnknownStripePriceEnv | RankTaken | NoDefaultPricingRule

/** A plan as written: its features as the jsonb text. */
const PlanWrite = Schema.Struct({
  ...PlanDefinition.fields,
  features: Schema.fromJsonString(Schema.Array(PlanFeature))
})

const PricingRuleWrite = Schema.Struct({
  planId: Schema.String,
  multiplier: NumericColumn,
  creditsAllocation: NumericColumn,
  rateLimitPerMinute: Schema.NullOr(Schema.Int),
  rateLimitPerDay: Schema.NullOr(Schema.Int)
})

const FeatureCostWrite = Schema.Struct({
  featureKey: FeatureKeyColumn,
  productType: ProductType,
  internalCostCredits: NumericColumn
})

/** 64 bits of a SHA-256 of a namespaced name, like the scheduler's job locks. */
const syncLockKey = createHash("sha256").update("@cuebx/billing/PlanCatalogue.sync").digest().readBigInt64BE(0)
  .toString()

export class PlanCatalogue extends Context.Service<PlanCatalogue, {
  /** What `sync(options)` would change right now. Reads only. */
  diff(options?: SyncOptions): Effect.Effect<CatalogueDiff, CatalogueSyncError>
  /**
   * Applies the catalogue in one transaction and returns what it changed. Concurrent syncs (API
   * replicas starting together) queue on an advisory lock, so the later ones find nothing to do.
   */
  sync(options?: SyncOptions): Effect.Effect<CatalogueDiff, CatalogueSyncError>
}>()("@cuebx/billing/PlanCatalogue") {
  static readonly layer = Layer.effect(
    PlanCatalogue,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const fs = yield* FileSystem.FileSystem
      const priceIds = yield* StripePriceIds
      const inTransaction = transactionWith(sql)

      const storedPlans = SqlSchema.findAll({
        Request: Schema.Void,
        Result: StoredPlan,
        execute: () =>
          sql`
            SELECT id, name, product_type, description, price, display_price, rank, stripe_price_id, seat_price,
                   seat_display_price, seat_stripe_price_id, is_active, trial_days, type, features, max_seats,
                   min_seats
            FROM plans`
      })
      const planIdsWithRule = SqlSchema.findAll({
        Request: Schema.Void,
        Result: Schema.Struct({ planId: Schema.String }),
        execute: () => sql`SELECT plan_id FROM plan_pricing_rules`
      })
      // Stored names, not decoded: a key this version does not know must not block the sync.
      const featureKeysWithCost = SqlSchema.findAll({
        Request: Schema.Void,
        Result: Schema.Struct({ featureKey: Schema.String }),
        execute: () => sql`SELECT feature_key FROM feature_cost_configs`
      })
      const planIds = SqlSchema.findAll({
        Request: Schema.Void,
        Result: Schema.Struct({ id: Schema.String, name: Schema.String, productType: ProductType }),
        execute: () => sql`SELECT id, name, product_type FROM plans`
      })
      const parkRank = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, rank: Schema.Int }),
        execute: ({ id, rank }) => sql`UPDATE plans SET rank = ${rank} WHERE id = ${id}`
      })
      const upsertPlan = (mode: SyncMode) =>
        SqlSchema.void({
          Request: PlanWrite,
          execute: (plan) =>
            sql`
              INSERT INTO plans (
                name, product_type, description, price, display_price, rank, stripe_price_id, seat_price,
                seat_display_price, seat_stripe_price_id, is_active, trial_days, type, features, max_seats, min_seats
              ) VALUES (
                ${plan.name}, ${plan.productType}, ${plan.description}, ${plan.price}, ${plan.displayPrice},
                ${plan.rank}, ${plan.stripePriceId}, ${plan.seatPrice}, ${plan.seatDisplayPrice},
                ${plan.seatStripePriceId}, ${plan.isActive}, ${plan.trialDays}, ${plan.type},
                ${plan.features}::jsonb, ${plan.maxSeats}, ${plan.minSeats}
              )
              ON CONFLICT (name, product_type) ${
              sql.literal(
                mode === "missingOnly"
                  ? "DO NOTHING"
                  : `DO UPDATE SET ${
                    comparedFields.map(String.camelToSnake).map((column) => `${column} = EXCLUDED.${column}`).join(
                      ", "
                    )
                  }`
              )
            }`
        })
      const insertPricingRule = SqlSchema.void({
        Request: PricingRuleWrite,
        execute: (rule) => sql`INSERT INTO plan_pricing_rules ${sql.insert(rule)} ON CONFLICT (plan_id) DO NOTHING`
      })
      const insertFeatureCost = SqlSchema.void({
        Request: FeatureCostWrite,
        execute: (cost) =>
          sql`INSERT INTO feature_cost_configs ${sql.insert(cost)} ON CONFLICT (feature_key) DO NOTHING`
      })

      const readState = Effect.gen(function*() {
        const plans = yield* storedPlans()
        const rules = yield* planIdsWithRule()
        const costs = yield* featureKeysWithCost()
        return {
          plans,
          planIdsWithRule: new Set(rules.map((rule) => rule.planId)),
          featureKeysWithCost: new Set(costs.map((cost) => cost.featureKey))
        } satisfies DatabaseState
      }).pipe(Effect.orDie)

      const loadEntries = (file: string | undefined) =>
        loadCatalogueFile(file).pipe(
          Effect.flatMap((catalogue) => catalogueEntries(catalogue, priceIds)),
          Effect.provideService(FileSystem.FileSystem, fs)
        )

      const apply = Effect.fnUntraced(function*(diff: CatalogueDiff, state: DatabaseState) {
        const rows = new Map(state.plans.map((row) => [planKey(row.productType, row.name), row]))
        // UNIQUE(rank, product_type) is checked row by row, so plans swapping ranks would collide:
        // park every plan whose rank changes above all current ranks first.
        const moving = diff.plans.flatMap((plan) => {
          const row = rows.get(planKey(plan.entry.productType, plan.entry.name))
          return plan.action === "update" && row !== undefined && row.rank !== plan.entry.rank ? [{ plan, row }] : []
        })
        for (const { plan, row } of moving) {
          const ranks = state.plans.filter((other) => other.productType === row.productType).map((other) => other.rank)
          yield* parkRank({ id: row.id, rank: Math.max(...ranks) + 1 + plan.entry.rank })
        }
        const upsert = upsertPlan(diff.mode)
        for (const plan of diff.plans) {
          if (plan.action === "create" || plan.action === "update") yield* upsert(plan.entry)
        }

        const rulesToCreate = diff.pricingRules.flatMap((rule) => rule.action === "create" ? [rule] : [])
        if (rulesToCreate.length > 0) {
          const idOf = new Map((yield* planIds()).map((row) => [planKey(row.productType, row.name), row.id]))
          for (const { productType, planName, rule } of rulesToCreate) {
            const planId = idOf.get(planKey(productType, planName))
            if (planId === undefined) return yield* Effect.die(`${productType}/${planName} vanished inside the sync`)
            yield* insertPricingRule({ planId, ...rule })
          }
        }

        for (const { cost, action } of diff.featureCosts) {
          if (action === "create") yield* insertFeatureCost(cost)
        }
      }, Effect.orDie)

      const diff = Effect.fn("PlanCatalogue.diff")(function*(options: SyncOptions = {}) {
        const file = options.file ?? defaultCatalogueFilePath
        const entries = yield* loadEntries(options.file)
        const state = yield* readState
        return yield* computeDiff(entries, state, options.mode ?? "full", file)
      })

      const sync = Effect.fn("PlanCatalogue.sync")(function*(options: SyncOptions = {}) {
        const file = options.file ?? defaultCatalogueFilePath
        const mode = options.mode ?? "full"
        const entries = yield* loadEntries(options.file)
        return yield* inTransaction(Effect.gen(function*() {
          yield* sql`SELECT pg_advisory_xact_lock(${syncLockKey}::bigint)`
          // Read after taking the lock: a sync that just committed is seen, and not repeated.
          const state = yield* readState
          const changes = yield* computeDiff(entries, state, mode, file)
          yield* apply(changes, state)
          return changes
        }))
      })

      return PlanCatalogue.of({ diff, sync })
    })
  )

  /**
   * Creates whatever part of the catalogue is missing when built (`missingOnly`), so a program
   * started on a fresh database serves plans at once; existing rows are left as they are.
   */
  static readonly layerEnsureLoaded = Layer.effectDiscard(Effect.gen(function*() {
    const catalogue = yield* PlanCatalogue
    const summary = diffSummary(yield* catalogue.sync({ mode: "missingOnly" }))
    yield* Effect.logInfo(
      `Plan catalogue loaded: created ${summary.plansCreated} plans, ${summary.pricingRulesCreated} pricing rules, ` +
        `${summary.featureCostsCreated} feature costs`
    ).pipe(Effect.annotateLogs({ plansDifferingFromFile: summary.plansKept }))
  })).pipe(Layer.provide(PlanCatalogue.layer))
}
