/**
 * Keeps the database's plan catalogue in line with `plans.json`: compares the file (with the
 * configured Stripe price ids and the shipped defaults) against `plans`, `plan_pricing_rules` and
 * `feature_cost_configs`, and applies the difference in one transaction. Plans follow the file;
 * pricing rules and feature costs are only ever created, never overwritten (admins tune them).
 * Reading plans for users is Plans' job, not this one's.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Context, Data, Effect, Layer, String } from "effect"
import { SqlClient } from "effect/sql"
import { createHash } from "node:crypto"
import { resolveStripePriceId, StripePriceIds, type UnknownStripePriceEnv } from "../BillingConfig.ts"
import { featureKeyDbName, type ProductType } from "../FeatureKeys.ts"
import {
  defaultPricingRule,
  type FeatureCostDefault,
  featureCostDefaults,
  type PricingRuleDefaults
} from "./CatalogueDefaults.ts"
import {
  type CatalogueFeature,
  type CatalogueFile,
  type CatalogueFileError,
  defaultCatalogueFilePath,
  loadCatalogueFile
} from "./CatalogueFile.ts"

/** `full`: plans follow the file. `missingOnly`: only what is missing is created; nothing existing is touched. */
export type SyncMode = "full" | "missingOnly"

export interface SyncOptions {
  readonly mode?: SyncMode
  /** A catalogue file other than the packaged one. */
  readonly file?: string
}

/** A `plans` row as the catalogue wants it. */
export interface CatalogueEntry {
  readonly productType: ProductType
  readonly name: string
  readonly description: string | null
  /** numeric(10, 2) as text, always with two decimals. */
  readonly price: string
  readonly displayPrice: string | null
  readonly rank: number
  readonly stripePriceId: string | null
  readonly seatPrice: string
  readonly seatDisplayPrice: string | null
  readonly seatStripePriceId: string | null
  readonly isActive: boolean
  readonly trialDays: number | null
  readonly type: "FREE" | "PAID"
  readonly features: ReadonlyArray<CatalogueFeature>
  readonly maxSeats: number | null
  readonly minSeats: number
}

export interface FieldChange {
  /** The column, e.g. `stripe_price_id`. */
  readonly field: string
  readonly before: string
  readonly after: string
}

/** `kept`: the row differs from the file but a `missingOnly` sync leaves it alone. */
export type PlanAction = "create" | "update" | "unchanged" | "kept"

export interface PlanDiff {
  readonly entry: CatalogueEntry
  readonly action: PlanAction
  readonly changes: ReadonlyArray<FieldChange>
}

export type PricingRuleDiff =
  & { readonly productType: ProductType; readonly planName: string }
  & ({ readonly action: "create"; readonly rule: PricingRuleDefaults } | { readonly action: "exists" })

export interface FeatureCostDiff {
  readonly cost: FeatureCostDefault
  readonly action: "create" | "exists"
}

export interface CatalogueDiff {
  readonly mode: SyncMode
  readonly file: string
  readonly plans: ReadonlyArray<PlanDiff>
  readonly pricingRules: ReadonlyArray<PricingRuleDiff>
  readonly featureCosts: ReadonlyArray<FeatureCostDiff>
}

export const diffSummary = (diff: CatalogueDiff) => ({
  plansCreated: diff.plans.filter((plan) => plan.action === "create").length,
  plansUpdated: diff.plans.filter((plan) => plan.action === "update").length,
  plansKept: diff.plans.filter((plan) => plan.action === "kept").length,
  pricingRulesCreated: diff.pricingRules.filter((rule) => rule.action === "create").length,
  featureCostsCreated: diff.featureCosts.filter((cost) => cost.action === "create").length
})

/** Two plans of a product would end up with the same rank (UNIQUE(rank, product_type)). */
export class RankTaken extends Data.TaggedError("RankTaken")<{
  readonly productType: ProductType
  readonly rank: number
  readonly planNames: ReadonlyArray<string>
  readonly hint: string
}> {
  override get message() {
    return `${this.productType} plans ${
      this.planNames.map((name) => `"${name}"`).join(" and ")
    } would both have rank ${this.rank}: ${this.hint}`
  }
}

/** A catalogue plan has no pricing rule in the database and the catalogue ships none for it. */
export class NoDefaultPricingRule extends Data.TaggedError("NoDefaultPricingRule")<{
  readonly productType: ProductType
  readonly planName: string
}> {
  override get message() {
    return `${this.productType}/${this.planName} has no pricing rule and the catalogue ships no default for it: ` +
      "add one to CatalogueDefaults or create the rule in the database first"
  }
}

export type CatalogueSyncError = CatalogueFileError | UnknownStripePriceEnv | RankTaken | NoDefaultPricingRule

/** "19" → "19.00", "0.5" → "0.50", as Postgres prints numeric(_, 2). */
const normaliseAmount = (amount: string): string => {
  const [whole = "0", fraction = ""] = amount.split(".")
  return `${BigInt(whole)}.${fraction.padEnd(2, "0")}`
}

const normaliseFeature = (feature: CatalogueFeature): CatalogueFeature => ({
  title: feature.title,
  description: feature.description,
  value: feature.value,
  category: feature.category
})

/** The rows the file asks for; a plan's rank is its index in its product's list (cheapest first). */
export const catalogueEntries = Effect.fnUntraced(function*(file: CatalogueFile, priceIds: StripePriceIds) {
  const entries: Array<CatalogueEntry> = []
  const lists = [["API", file.api_plans], ["CAREER", file.career_plans]] as const
  for (const [productType, plans] of lists) {
    for (const [rank, plan] of plans.entries()) {
      entries.push({
        productType,
        name: plan.name,
        description: plan.description,
        price: normaliseAmount(plan.price),
        displayPrice: plan.display_price,
        rank,
        stripePriceId: yield* resolveStripePriceId(priceIds, plan.stripe_price_id_env),
        seatPrice: normaliseAmount(plan.seat_price),
        seatDisplayPrice: plan.seat_display_price,
        seatStripePriceId: yield* resolveStripePriceId(priceIds, plan.seat_stripe_price_id_env),
        isActive: plan.is_active,
        trialDays: plan.trial_days,
        type: plan.type,
        features: plan.features.map(normaliseFeature),
        maxSeats: plan.max_seats,
        minSeats: plan.min_seats
      })
    }
  }
  return entries
})

/** A `plans` row as stored: what the catalogue compares, before it is trusted. */
interface PlanRow extends Omit<CatalogueEntry, "type" | "features"> {
  readonly id: string
  readonly type: string
  readonly features: unknown
}

interface DatabaseState {
  readonly plans: ReadonlyArray<PlanRow>
  readonly planIdsWithRule: ReadonlySet<string>
  readonly featureKeysWithCost: ReadonlySet<string>
}

const comparedFields = [
  "description",
  "price",
  "displayPrice",
  "rank",
  "stripePriceId",
  "seatPrice",
  "seatDisplayPrice",
  "seatStripePriceId",
  "isActive",
  "trialDays",
  "type",
  "features",
  "maxSeats",
  "minSeats"
] as const satisfies ReadonlyArray<keyof CatalogueEntry & keyof PlanRow>

// jsonb does not keep key order, so features compare by content.
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).toSorted(([a], [b]) => a.localeCompare(b)))
      : inner)

const featureTitle = (feature: unknown): string =>
  feature !== null && typeof feature === "object" && "title" in feature ? globalThis.String(feature.title) : "?"

const describeFeatures = (before: unknown, after: ReadonlyArray<CatalogueFeature>): [string, string] => {
  const old = Array.isArray(before) ? before as ReadonlyArray<unknown> : []
  const oldByTitle = new Map(old.map((feature) => [featureTitle(feature), canonicalJson(feature)]))
  const newTitles = new Set(after.map((feature) => feature.title))
  const added = after.filter((feature) => !oldByTitle.has(feature.title)).map((feature) => feature.title)
  const removed = [...oldByTitle.keys()].filter((title) => !newTitles.has(title))
  const edited = after
    .filter((feature) => oldByTitle.has(feature.title) && oldByTitle.get(feature.title) !== canonicalJson(feature))
    .map((feature) => feature.title)
  const details = [
    ...added.map((title) => `+"${title}"`),
    ...removed.map((title) => `-"${title}"`),
    ...edited.map((title) => `~"${title}"`)
  ]
  return [
    `${old.length} items`,
    `${after.length} items${details.length === 0 ? " (reordered)" : ` (${details.join(", ")})`}`
  ]
}

const render = (value: unknown): string => value === null ? "null" : globalThis.String(value)

const fieldChanges = (row: PlanRow, entry: CatalogueEntry): ReadonlyArray<FieldChange> =>
  comparedFields.flatMap((field): ReadonlyArray<FieldChange> => {
    const column = String.camelToSnake(field)
    if (field === "features") {
      if (canonicalJson(row.features) === canonicalJson(entry.features)) return []
      const [before, after] = describeFeatures(row.features, entry.features)
      return [{ field: column, before, after }]
    }
    const before = field === "price" || field === "seatPrice" ? normaliseAmount(row[field]) : row[field]
    return before === entry[field] ? [] : [{ field: column, before: render(before), after: render(entry[field]) }]
  })

const planKey = (productType: string, name: string) => `${productType}/${name}`

const computeDiff = Effect.fnUntraced(function*(
  entries: ReadonlyArray<CatalogueEntry>,
  state: DatabaseState,
  mode: SyncMode,
  file: string
) {
  const rows = new Map(state.plans.map((row) => [planKey(row.productType, row.name), row]))
  const plans = entries.map((entry): PlanDiff => {
    const row = rows.get(planKey(entry.productType, entry.name))
    if (row === undefined) return { entry, action: "create", changes: [] }
    const changes = fieldChanges(row, entry)
    if (changes.length === 0) return { entry, action: "unchanged", changes }
    return { entry, action: mode === "full" ? "update" : "kept", changes }
  })

  // The rank every plan of the database will have once this diff is applied.
  const planned = new Map(plans.map((plan) => [planKey(plan.entry.productType, plan.entry.name), plan]))
  const holders = [
    ...state.plans.map((row) => {
      const key = planKey(row.productType, row.name)
      const plan = planned.get(key)
      const rank = plan !== undefined && plan.action === "update" ? plan.entry.rank : row.rank
      return { key, productType: row.productType, name: row.name, rank }
    }),
    ...plans.filter((plan) => plan.action === "create").map((plan) => ({
      key: planKey(plan.entry.productType, plan.entry.name),
      productType: plan.entry.productType,
      name: plan.entry.name,
      rank: plan.entry.rank
    }))
  ]
  const byRank = new Map<string, typeof holders>()
  for (const holder of holders) {
    const key = `${holder.productType}#${holder.rank}`
    byRank.set(key, [...(byRank.get(key) ?? []), holder])
  }
  for (const clash of byRank.values()) {
    if (clash.length < 2) continue
    const foreign = clash.find((holder) => !planned.has(holder.key))
    return yield* new RankTaken({
      productType: clash[0]!.productType,
      rank: clash[0]!.rank,
      planNames: clash.map((holder) => holder.name),
      hint: foreign !== undefined
        ? `"${foreign.name}" is not in the catalogue; give it another rank or delete it`
        : "run a full sync (without --missing-only) to apply the catalogue's ranks"
    })
  }

  const pricingRules: Array<PricingRuleDiff> = []
  for (const { entry } of plans) {
    const row = rows.get(planKey(entry.productType, entry.name))
    const identity = { productType: entry.productType, planName: entry.name }
    if (row !== undefined && state.planIdsWithRule.has(row.id)) {
      pricingRules.push({ ...identity, action: "exists" })
      continue
    }
    const rule = defaultPricingRule(entry.productType, entry.name)
    if (rule === undefined) return yield* new NoDefaultPricingRule(identity)
    pricingRules.push({ ...identity, action: "create", rule })
  }

  const featureCosts = featureCostDefaults.map((cost): FeatureCostDiff => ({
    cost,
    action: state.featureKeysWithCost.has(featureKeyDbName(cost.featureKey)) ? "exists" : "create"
  }))

  return { mode, file, plans, pricingRules, featureCosts } satisfies CatalogueDiff
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
      const priceIds = yield* StripePriceIds
      const fileSystemLayer = NodeFileSystem.layer

      const readState = Effect.gen(function*() {
        const plans = yield* sql<PlanRow>`
          SELECT id, name, product_type, description, price, display_price, rank, stripe_price_id, seat_price,
                 seat_display_price, seat_stripe_price_id, is_active, trial_days, type, features, max_seats, min_seats
          FROM plans`
        const rules = yield* sql<{ readonly planId: string }>`SELECT plan_id FROM plan_pricing_rules`
        const costs = yield* sql<{ readonly featureKey: string }>`SELECT feature_key FROM feature_cost_configs`
        return {
          plans,
          planIdsWithRule: new Set(rules.map((rule) => rule.planId)),
          featureKeysWithCost: new Set(costs.map((cost) => cost.featureKey))
        } satisfies DatabaseState
      })

      const loadEntries = (file: string) =>
        loadCatalogueFile(file).pipe(
          Effect.flatMap((catalogue) => catalogueEntries(catalogue, priceIds)),
          Effect.provide(fileSystemLayer)
        )

      const upsertPlan = (entry: CatalogueEntry, mode: SyncMode) =>
        sql`
          INSERT INTO plans (
            name, product_type, description, price, display_price, rank, stripe_price_id, seat_price,
            seat_display_price, seat_stripe_price_id, is_active, trial_days, type, features, max_seats, min_seats
          ) VALUES (
            ${entry.name}, ${entry.productType}, ${entry.description}, ${entry.price}, ${entry.displayPrice},
            ${entry.rank}, ${entry.stripePriceId}, ${entry.seatPrice}, ${entry.seatDisplayPrice},
            ${entry.seatStripePriceId}, ${entry.isActive}, ${entry.trialDays}, ${entry.type},
            ${JSON.stringify(entry.features)}::jsonb, ${entry.maxSeats}, ${entry.minSeats}
          )
          ON CONFLICT (name, product_type) ${
          sql.literal(
            mode === "missingOnly"
              ? "DO NOTHING"
              : `DO UPDATE SET ${
                comparedFields.map(String.camelToSnake).map((column) => `${column} = EXCLUDED.${column}`).join(", ")
              }`
          )
        }`

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
          const parking = Math.max(...ranks) + 1 + plan.entry.rank
          yield* sql`UPDATE plans SET rank = ${parking} WHERE id = ${row.id}`
        }
        for (const plan of diff.plans) {
          if (plan.action === "create" || plan.action === "update") yield* upsertPlan(plan.entry, diff.mode)
        }

        const rulesToCreate = diff.pricingRules.flatMap((rule) => rule.action === "create" ? [rule] : [])
        if (rulesToCreate.length > 0) {
          const ids = yield* sql<{ readonly id: string; readonly name: string; readonly productType: string }>`
            SELECT id, name, product_type FROM plans`
          const idOf = new Map(ids.map((row) => [planKey(row.productType, row.name), row.id]))
          for (const { productType, planName, rule } of rulesToCreate) {
            yield* sql`
              INSERT INTO plan_pricing_rules (
                plan_id, multiplier, credits_allocation, rate_limit_per_minute, rate_limit_per_day
              ) VALUES (
                ${idOf.get(planKey(productType, planName))!}, ${rule.multiplier}, ${rule.creditsAllocation},
                ${rule.rateLimitPerMinute}, ${rule.rateLimitPerDay}
              )
              ON CONFLICT (plan_id) DO NOTHING`
          }
        }

        for (const { cost, action } of diff.featureCosts) {
          if (action !== "create") continue
          yield* sql`
            INSERT INTO feature_cost_configs (feature_key, product_type, internal_cost_credits)
            VALUES (${featureKeyDbName(cost.featureKey)}, ${cost.productType}, ${cost.internalCostCredits})
            ON CONFLICT (feature_key) DO NOTHING`
        }
      })

      const diff = Effect.fn("PlanCatalogue.diff")(function*(options: SyncOptions = {}) {
        const file = options.file ?? defaultCatalogueFilePath
        const entries = yield* loadEntries(file)
        const state = yield* readState.pipe(Effect.orDie)
        return yield* computeDiff(entries, state, options.mode ?? "full", file)
      })

      const sync = Effect.fn("PlanCatalogue.sync")(function*(options: SyncOptions = {}) {
        const file = options.file ?? defaultCatalogueFilePath
        const mode = options.mode ?? "full"
        const entries = yield* loadEntries(file)
        return yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`SELECT pg_advisory_xact_lock(${syncLockKey}::bigint)`
          // Read after taking the lock: a sync that just committed is seen, and not repeated.
          const state = yield* readState
          const changes = yield* computeDiff(entries, state, mode, file)
          yield* apply(changes, state)
          return changes
        })).pipe(Effect.catchTag("SqlError", Effect.die))
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
