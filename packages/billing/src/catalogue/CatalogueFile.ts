/**
 * The plan catalogue file (`catalogue/plans.json`, the reference's format): its schema and
 * loading it. Only the file's shape and consistency are checked here; what it means for the
 * database is PlanCatalogue's business.
 */
import { ProductType } from "@cuebx/contract"
import { BigDecimal, Data, Effect, FileSystem, Schema } from "effect"
import { fileURLToPath } from "node:url"
import shippedCatalogue from "../../catalogue/plans.json" with { type: "json" }
import { PlanTypeColumn } from "../Plans.ts"

/** Where the shipped catalogue is in the sources (its content is imported: a bundled program carries it). */
export const defaultCatalogueFilePath = fileURLToPath(new URL("../../catalogue/plans.json", import.meta.url))

const nullable = <S extends Schema.Top>(schema: S) =>
  Schema.NullOr(schema).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))

// numeric(10, 2): at most 8 integer digits and 2 decimals.
const CatalogueAmount = Schema.String.check(
  Schema.isPattern(/^\d{1,8}(\.\d{1,2})?$/, { message: "Expected a decimal amount such as \"19.00\"" })
).pipe(Schema.decodeTo(Schema.BigDecimalFromString))

export const CatalogueFeature = Schema.Struct({
  title: Schema.NonEmptyString,
  description: nullable(Schema.String),
  value: nullable(Schema.Union([Schema.String, Schema.Boolean])),
  category: nullable(Schema.String)
})
export type CatalogueFeature = typeof CatalogueFeature.Type

export const CataloguePlanEntry = Schema.Struct({
  name: Schema.NonEmptyString.check(Schema.isMaxLength(128)),
  description: nullable(Schema.String),
  price: CatalogueAmount,
  display_price: nullable(Schema.String.check(Schema.isMaxLength(64))),
  stripe_price_id_env: nullable(Schema.NonEmptyString),
  seat_price: CatalogueAmount.pipe(Schema.withDecodingDefaultKey(Effect.succeed("0.00"))),
  seat_display_price: nullable(Schema.String.check(Schema.isMaxLength(64))),
  seat_stripe_price_id_env: nullable(Schema.NonEmptyString),
  is_active: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(true))),
  trial_days: nullable(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  // `"FREE"` / `"PAID"` in the file, as in the database.
  type: PlanTypeColumn,
  product_type: ProductType,
  min_seats: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(1))
  ),
  max_seats: nullable(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  features: Schema.Array(CatalogueFeature).pipe(Schema.withDecodingDefaultKey(Effect.succeed([])))
}).check(Schema.makeFilter((plan) => {
  // The same rules as the `plans` CHECK constraints, reported here with the plan's path.
  const issues: Array<Schema.FilterIssue> = []
  if (plan.type === "free") {
    if (!BigDecimal.isZero(plan.price)) issues.push({ path: ["price"], issue: "A FREE plan must cost 0" })
    if (!BigDecimal.isZero(plan.seat_price)) {
      issues.push({ path: ["seat_price"], issue: "A FREE plan must cost 0 per seat" })
    }
    if (plan.stripe_price_id_env !== null || plan.seat_stripe_price_id_env !== null) {
      issues.push({ path: ["stripe_price_id_env"], issue: "A FREE plan has no Stripe price" })
    }
  } else if (plan.stripe_price_id_env === null && plan.seat_stripe_price_id_env === null) {
    issues.push({ path: ["stripe_price_id_env"], issue: "A PAID plan needs a Stripe price (or a seat price)" })
  }
  if (plan.max_seats !== null && plan.max_seats < plan.min_seats) {
    issues.push({ path: ["max_seats"], issue: "max_seats must be at least min_seats" })
  }
  return issues
}))
export type CataloguePlanEntry = typeof CataloguePlanEntry.Type

const planList = (product: ProductType) =>
  Schema.Array(CataloguePlanEntry).check(Schema.makeFilter((plans) => {
    const issues: Array<Schema.FilterIssue> = []
    const seen = new Set<string>()
    plans.forEach((plan, index) => {
      if (plan.product_type !== product) {
        issues.push({ path: [index, "product_type"], issue: `Expected "${product}" in this list` })
      }
      if (seen.has(plan.name)) issues.push({ path: [index, "name"], issue: `Duplicate plan name "${plan.name}"` })
      seen.add(plan.name)
    })
    return issues
  }))

/** Plans are listed cheapest first: a plan's rank is its index in its product's list. */
export const CatalogueFile = Schema.Struct({
  api_plans: planList("API"),
  career_plans: planList("CAREER")
})
export type CatalogueFile = typeof CatalogueFile.Type

export class CatalogueFileError extends Data.TaggedError("CatalogueFileError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    const reason = this.reason.includes("\n") ? `\n  ${this.reason.replaceAll("\n", "\n  ")}` : ` ${this.reason}`
    return `Plan catalogue ${this.path} is not usable:${reason}`
  }
}

const decodeCatalogue = Schema.decodeUnknownEffect(CatalogueFile)

const readCatalogueJson = Effect.fnUntraced(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(path).pipe(
    Effect.mapError((error) => new CatalogueFileError({ path, reason: error.message }))
  )
  return yield* Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => new CatalogueFileError({ path, reason: `invalid JSON (${(error as Error).message})` })
  })
})

/**
 * Reads and validates a catalogue file, the shipped one when no path is given; unknown keys
 * anywhere are errors (a typo must not pass silently).
 */
export const loadCatalogueFile = Effect.fn("CatalogueFile.load")(function*(file?: string) {
  const path = file ?? defaultCatalogueFilePath
  const json = file === undefined ? shippedCatalogue : yield* readCatalogueJson(file)
  return yield* decodeCatalogue(json, { errors: "all", onExcessProperty: "error" }).pipe(
    Effect.mapError((error) => new CatalogueFileError({ path, reason: error.message }))
  )
})
