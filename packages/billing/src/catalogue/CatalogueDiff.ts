/**
 * What a plan catalogue sync would change: the rows `plans.json` asks for (with the configured
 * Stripe price ids and the shipped defaults), compared field by field with what the database
 * holds. Pure: reading the database and applying the difference are `PlanCatalogue`'s.
 */
import { formatAmount, type ProductType } from "@cuebx/contract"
import { storedUpperCase } from "@cuebx/db"
import { BigDecimal, Data, Effect, Schema, String } from "effect"
import { resolveStripePriceId, type StripePriceIds } from "../BillingConfig.ts"
import { featureKeyDbName } from "../FeatureKeys.ts"
import { PlanDefinition } from "../Plans.ts"
import {
  defaultPricingRule,
  type FeatureCostDefault,
  featureCostDefaults,
  type PricingRuleDefaults
} from "./CatalogueDefaults.ts"
import type { CatalogueFeature, CatalogueFile } from "./CatalogueFile.ts"

/** `full`: plans follow the file. `missingOnly`: only what is missing is created; nothing existing is touched. */
export type SyncMode = "full" | "missingOnly"

/** A `plans` row as the catalogue wants it. */
export type CatalogueEntry = PlanDefinition

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
        price: plan.price,
        displayPrice: plan.display_price,
        rank,
        stripePriceId: yield* resolveStripePriceId(priceIds, plan.stripe_price_id_env),
        seatPrice: plan.seat_price,
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

/**
 * A `plans` row as stored: what the catalogue compares. Its features are compared by content, not
 * trusted, so a malformed list shows up as a change the sync repairs instead of blocking it.
 */
export const StoredPlan = Schema.Struct({ id: Schema.String, ...PlanDefinition.fields, features: Schema.Unknown })
export type PlanRow = typeof StoredPlan.Type

/** What the database holds of the catalogue. */
export interface DatabaseState {
  readonly plans: ReadonlyArray<PlanRow>
  readonly planIdsWithRule: ReadonlySet<string>
  readonly featureKeysWithCost: ReadonlySet<string>
}

/** The `plans` columns the file decides, in the order changes are reported. */
export const comparedFields = [
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

/** A value as the file and the database spell it: amounts with two decimals, enums in upper case. */
const render = (field: typeof comparedFields[number], value: unknown): string =>
  value === null
    ? "null"
    : BigDecimal.isBigDecimal(value)
    ? formatAmount(value)
    : field === "type"
    ? storedUpperCase(globalThis.String(value))
    : globalThis.String(value)

const same = (a: unknown, b: unknown): boolean =>
  BigDecimal.isBigDecimal(a) && BigDecimal.isBigDecimal(b) ? BigDecimal.equals(a, b) : a === b

const fieldChanges = (row: PlanRow, entry: CatalogueEntry): ReadonlyArray<FieldChange> =>
  comparedFields.flatMap((field): ReadonlyArray<FieldChange> => {
    const column = String.camelToSnake(field)
    if (field === "features") {
      if (canonicalJson(row.features) === canonicalJson(entry.features)) return []
      const [before, after] = describeFeatures(row.features, entry.features)
      return [{ field: column, before, after }]
    }
    return same(row[field], entry[field])
      ? []
      : [{ field: column, before: render(field, row[field]), after: render(field, entry[field]) }]
  })

export const planKey = (productType: string, name: string) => `${productType}/${name}`

/** The difference between the file's entries and the database, or why it cannot be applied. */
export const computeDiff = Effect.fnUntraced(function*(
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
  const byRank = new Map<
    string,
    { readonly productType: ProductType; readonly rank: number; holders: typeof holders }
  >()
  for (const holder of holders) {
    const key = `${holder.productType}#${holder.rank}`
    const slot = byRank.get(key) ?? { productType: holder.productType, rank: holder.rank, holders: [] }
    byRank.set(key, { ...slot, holders: [...slot.holders, holder] })
  }
  for (const { holders: clash, productType, rank } of byRank.values()) {
    if (clash.length < 2) continue
    const foreign = clash.find((holder) => !planned.has(holder.key))
    return yield* new RankTaken({
      productType,
      rank,
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
