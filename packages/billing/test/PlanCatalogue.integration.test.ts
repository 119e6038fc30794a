import { DatabaseLive } from "@cuebx/db"
import { captureLogs, TestInfra } from "@cuebx/testing"
import { NodeServices } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, FileSystem, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { diffSummary, type PlanAction, type PlanDiff } from "../src/catalogue/CatalogueDiff.ts"
import { defaultCatalogueFilePath } from "../src/catalogue/CatalogueFile.ts"
import { PlanCatalogue } from "../src/catalogue/PlanCatalogue.ts"

const priceEnv = {
  STRIPE_CUBEX_API_PRICE_BASIC: "price_test_basic",
  STRIPE_CUBEX_API_SEAT_PRICE_BASIC: "price_test_basic_seat",
  STRIPE_CUBEX_API_PRICE_PROFESSIONAL: "price_test_pro",
  STRIPE_CUBEX_API_SEAT_PRICE_PROFESSIONAL: "price_test_pro_seat",
  STRIPE_CUBEX_CAREER_PRICE_PLUS: "price_test_career_plus",
  STRIPE_CUBEX_CAREER_PRICE_PRO: "price_test_career_pro"
}

interface PlanRow {
  readonly name: string
  readonly productType: string
  readonly description: string | null
  readonly price: string
  readonly displayPrice: string | null
  readonly rank: number
  readonly stripePriceId: string | null
  readonly seatPrice: string
  readonly seatDisplayPrice: string | null
  readonly seatStripePriceId: string | null
  readonly isActive: boolean
  readonly trialDays: number | null
  readonly type: string
  readonly features: ReadonlyArray<Record<string, unknown>>
  readonly maxSeats: number | null
  readonly minSeats: number
}

interface RuleRow {
  readonly plan: string
  readonly multiplier: string
  readonly creditsAllocation: string
  readonly rateLimitPerMinute: number | null
  readonly rateLimitPerDay: number | null
}

interface CatalogueJson {
  api_plans: Array<Record<string, unknown> & { features: Array<Record<string, unknown>> }>
  career_plans: Array<Record<string, unknown> & { features: Array<Record<string, unknown>> }>
}

const readPlans = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<PlanRow>`SELECT * FROM plans ORDER BY product_type, rank`
})

const planNamed = (product: string, name: string) =>
  Effect.map(readPlans, (plans) => plans.find((plan) => plan.productType === product && plan.name === name)!)

const readRules = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<RuleRow>`
    SELECT p.product_type || '/' || p.name AS plan, r.multiplier, r.credits_allocation, r.rate_limit_per_minute,
           r.rate_limit_per_day
    FROM plan_pricing_rules r JOIN plans p ON p.id = r.plan_id
    ORDER BY p.product_type, p.rank`
})

const readCosts = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<
    { readonly featureKey: string; readonly productType: string; readonly internalCostCredits: string }
  >`
    SELECT feature_key, product_type, internal_cost_credits FROM feature_cost_configs ORDER BY feature_key`
})

/** Row versions of everything the sync may write: equal before and after means nothing was written. */
const rowVersions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ readonly version: string }>`
    SELECT 'plan ' || id || ' ' || xmin::text AS version FROM plans
    UNION ALL SELECT 'rule ' || id || ' ' || xmin::text FROM plan_pricing_rules
    UNION ALL SELECT 'cost ' || id || ' ' || xmin::text FROM feature_cost_configs
    ORDER BY 1`
})

const count = (table: "plans" | "plan_pricing_rules" | "feature_cost_configs") =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM ${sql(table)}`
    return row!.n
  })

const emptyCatalogueTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DELETE FROM plans`
  yield* sql`DELETE FROM feature_cost_configs`
})

const packagedCatalogue = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  return JSON.parse(yield* fs.readFileString(defaultCatalogueFilePath)) as CatalogueJson
}).pipe(Effect.provide(NodeServices.layer))

/** A copy of the packaged catalogue, edited, in a temporary file removed after the test. */
const editedCatalogue = (edit: (catalogue: CatalogueJson) => void) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const directory = yield* fs.makeTempDirectoryScoped()
    const catalogue = yield* packagedCatalogue
    edit(catalogue)
    const path = `${directory}/plans.json`
    yield* fs.writeFileString(path, JSON.stringify(catalogue, null, 2))
    return path
  }).pipe(Effect.provide(NodeServices.layer))

const actionsOf = (plans: ReadonlyArray<PlanDiff>) =>
  Object.fromEntries(plans.map((plan) => [`${plan.entry.productType}/${plan.entry.name}`, plan.action]))

const allUnchanged: Readonly<Record<string, PlanAction>> = {
  "API/Free": "unchanged",
  "API/Basic": "unchanged",
  "API/Professional": "unchanged",
  "CAREER/Free": "unchanged",
  "CAREER/Plus Plan": "unchanged",
  "CAREER/Pro Plan": "unchanged"
}

layer(
  PlanCatalogue.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(DatabaseLive, NodeServices.layer)),
    Layer.provideMerge(TestInfra.layer({ env: priceEnv }))
  ),
  { excludeTestServices: true }
)("PlanCatalogue", (it) => {
  it.effect("a dry run on a fresh database lists everything as to be created and writes nothing", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const diff = yield* (yield* PlanCatalogue).diff()
      assert.deepStrictEqual(Object.values(actionsOf(diff.plans)), Array(6).fill("create"))
      assert.deepStrictEqual(diffSummary(diff), {
        plansCreated: 6,
        plansUpdated: 0,
        plansKept: 0,
        pricingRulesCreated: 6,
        featureCostsCreated: 20
      })
      assert.strictEqual(yield* count("plans"), 0)
      assert.strictEqual(yield* count("plan_pricing_rules"), 0)
      assert.strictEqual(yield* count("feature_cost_configs"), 0)
    }))

  it.effect("a full sync of a fresh database creates the six plans, their rules and the twenty feature costs", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const diff = yield* (yield* PlanCatalogue).sync()
      assert.strictEqual(diffSummary(diff).plansCreated, 6)

      const plans = yield* readPlans
      assert.deepStrictEqual(
        plans.map((plan) => [plan.productType, plan.rank, plan.name, plan.price, plan.seatPrice]),
        [
          ["API", 0, "Free", "0.00", "0.00"],
          ["API", 1, "Basic", "19.00", "2.00"],
          ["API", 2, "Professional", "49.00", "5.00"],
          ["CAREER", 0, "Free", "0.00", "0.00"],
          ["CAREER", 1, "Plus Plan", "20.00", "0.00"],
          ["CAREER", 2, "Pro Plan", "40.00", "0.00"]
        ]
      )
      assert.deepStrictEqual(
        plans.map((plan) => [plan.name, plan.stripePriceId, plan.seatStripePriceId]),
        [
          ["Free", null, null],
          ["Basic", "price_test_basic", "price_test_basic_seat"],
          ["Professional", "price_test_pro", "price_test_pro_seat"],
          ["Free", null, null],
          ["Plus Plan", "price_test_career_plus", null],
          ["Pro Plan", "price_test_career_pro", null]
        ]
      )
      assert.deepStrictEqual(
        plans.map((plan) => [plan.type, plan.trialDays, plan.minSeats, plan.maxSeats, plan.isActive]),
        [
          ["FREE", null, 1, 1, true],
          ["PAID", 7, 1, 5, true],
          ["PAID", 7, 1, null, true],
          ["FREE", null, 1, 1, true],
          ["PAID", 7, 1, 1, true],
          ["PAID", 7, 1, 1, true]
        ]
      )
      const basic = plans[1]!
      assert.strictEqual(basic.displayPrice, "$19/month")
      assert.strictEqual(basic.seatDisplayPrice, "$2/seat/month")
      assert.strictEqual(
        basic.description,
        "For growing companies and recruitment startups integrating AI insights into their hiring flow."
      )
      // Every feature is stored with all four keys, as the reference's validator stores them.
      const file = yield* packagedCatalogue
      assert.deepStrictEqual(
        basic.features,
        file.api_plans[1]!.features.map((feature) => ({ value: null, ...feature }))
      )
      assert.strictEqual(plans[2]!.features.length, 12)
      assert.deepStrictEqual(plans[2]!.features[0], {
        title: "Unlimited API calls",
        description: "Unlimited API calls per month with fair use policy",
        value: null,
        category: "Usage"
      })

      assert.deepStrictEqual(yield* readRules, [
        {
          plan: "API/Free",
          multiplier: "1.00",
          creditsAllocation: "500.00",
          rateLimitPerMinute: 10,
          rateLimitPerDay: 200
        },
        {
          plan: "API/Basic",
          multiplier: "1.00",
          creditsAllocation: "10000.00",
          rateLimitPerMinute: 60,
          rateLimitPerDay: 10_000
        },
        {
          plan: "API/Professional",
          multiplier: "1.00",
          creditsAllocation: "100000.00",
          rateLimitPerMinute: 300,
          rateLimitPerDay: null
        },
        {
          plan: "CAREER/Free",
          multiplier: "1.00",
          creditsAllocation: "100.00",
          rateLimitPerMinute: 20,
          rateLimitPerDay: 500
        },
        {
          plan: "CAREER/Plus Plan",
          multiplier: "1.00",
          creditsAllocation: "1000.00",
          rateLimitPerMinute: 30,
          rateLimitPerDay: 2_000
        },
        {
          plan: "CAREER/Pro Plan",
          multiplier: "1.00",
          creditsAllocation: "5000.00",
          rateLimitPerMinute: 60,
          rateLimitPerDay: 10_000
        }
      ])

      const costs = yield* readCosts
      assert.strictEqual(costs.length, 20)
      const costOf = Object.fromEntries(costs.map((cost) => [cost.featureKey, cost]))
      assert.deepStrictEqual(costOf["API_CAREER_PATH"], {
        featureKey: "API_CAREER_PATH",
        productType: "API",
        internalCostCredits: "2.00"
      })
      assert.deepStrictEqual(costOf["API_EXTRACT_CUES_RESUME"], {
        featureKey: "API_EXTRACT_CUES_RESUME",
        productType: "API",
        internalCostCredits: "1.00"
      })
      assert.deepStrictEqual(costOf["CAREER_REFRAME_FEEDBACK"], {
        featureKey: "CAREER_REFRAME_FEEDBACK",
        productType: "CAREER",
        internalCostCredits: "2.00"
      })
      assert.strictEqual(costs.filter((cost) => cost.internalCostCredits === "2.00").length, 10)
      assert.strictEqual(costs.filter((cost) => cost.productType === "CAREER").length, 10)
    }))

  it.effect("a second sync finds everything unchanged and writes nothing", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      yield* catalogue.sync()
      const before = yield* rowVersions
      const second = yield* catalogue.sync()
      assert.deepStrictEqual(actionsOf(second.plans), allUnchanged)
      assert.deepStrictEqual(diffSummary(second), {
        plansCreated: 0,
        plansUpdated: 0,
        plansKept: 0,
        pricingRulesCreated: 0,
        featureCostsCreated: 0
      })
      assert.deepStrictEqual(yield* rowVersions, before)
      assert.strictEqual(before.length, 6 + 6 + 20)
    }))

  it.effect("pricing rules and feature costs an admin changed are kept; deleted ones come back with the default", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      const sql = yield* SqlClient.SqlClient
      yield* catalogue.sync()
      yield* sql`
        UPDATE plan_pricing_rules SET credits_allocation = 5000, rate_limit_per_minute = 20, rate_limit_per_day = NULL
        WHERE plan_id = (SELECT id FROM plans WHERE product_type = 'API' AND name = 'Basic')`
      yield* sql`UPDATE feature_cost_configs SET internal_cost_credits = 3.50 WHERE feature_key = 'API_JOB_MATCH'`
      yield* sql`DELETE FROM feature_cost_configs WHERE feature_key = 'CAREER_EXTRACT_KEYWORDS'`
      yield* sql`
        DELETE FROM plan_pricing_rules
        WHERE plan_id = (SELECT id FROM plans WHERE product_type = 'CAREER' AND name = 'Pro Plan')`

      const diff = yield* catalogue.sync()
      assert.deepStrictEqual(
        diff.pricingRules.filter((rule) => rule.action === "create").map((rule) => rule.planName),
        ["Pro Plan"]
      )
      assert.deepStrictEqual(
        diff.featureCosts.filter((cost) => cost.action === "create").map((cost) => cost.cost.featureKey),
        ["career.extract_keywords"]
      )
      const rules = yield* readRules
      assert.deepStrictEqual(rules.find((rule) => rule.plan === "API/Basic"), {
        plan: "API/Basic",
        multiplier: "1.00",
        creditsAllocation: "5000.00",
        rateLimitPerMinute: 20,
        rateLimitPerDay: null
      })
      assert.strictEqual(rules.find((rule) => rule.plan === "CAREER/Pro Plan")?.creditsAllocation, "5000.00")
      const costs = yield* readCosts
      assert.strictEqual(costs.find((cost) => cost.featureKey === "API_JOB_MATCH")?.internalCostCredits, "3.50")
      assert.strictEqual(
        costs.find((cost) => cost.featureKey === "CAREER_EXTRACT_KEYWORDS")?.internalCostCredits,
        "1.00"
      )
    }))

  it.effect("a plan changed in the file is listed as an update, field by field, and applied", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      yield* catalogue.sync()
      const file = yield* editedCatalogue((edited) => {
        const basic = edited.api_plans[1]!
        basic["price"] = "25"
        basic["display_price"] = "$25/month"
        basic["trial_days"] = 14
        basic.features.push({ title: "Custom webhooks", value: true })
        basic.features[0]!["description"] = "Up to 12,000 API calls per month"
      })

      const preview = yield* catalogue.diff({ file })
      assert.deepStrictEqual(actionsOf(preview.plans), { ...allUnchanged, "API/Basic": "update" })
      const basic = preview.plans.find((plan) => plan.action === "update")!
      assert.deepStrictEqual(basic.changes, [
        { field: "price", before: "19.00", after: "25.00" },
        { field: "display_price", before: "$19/month", after: "$25/month" },
        { field: "trial_days", before: "7", after: "14" },
        { field: "features", before: "10 items", after: "11 items (+\"Custom webhooks\", ~\"10,000 API calls/month\")" }
      ])
      assert.strictEqual((yield* planNamed("API", "Basic")).price, "19.00")

      const applied = yield* catalogue.sync({ file })
      assert.strictEqual(diffSummary(applied).plansUpdated, 1)
      const stored = yield* planNamed("API", "Basic")
      assert.strictEqual(stored.price, "25.00")
      assert.strictEqual(stored.displayPrice, "$25/month")
      assert.strictEqual(stored.trialDays, 14)
      assert.deepStrictEqual(stored.features.at(-1), {
        title: "Custom webhooks",
        description: null,
        value: true,
        category: null
      })
      assert.strictEqual(stored.features[0]!["description"], "Up to 12,000 API calls per month")
      assert.deepStrictEqual(actionsOf((yield* catalogue.diff({ file })).plans), allUnchanged)
    }))

  it.effect("ranks follow the file's order even when plans swap ranks, and drifted ranks are restored", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      const sql = yield* SqlClient.SqlClient
      yield* catalogue.sync()
      yield* sql`UPDATE plans SET rank = 7 WHERE product_type = 'API' AND name = 'Professional'`
      const file = yield* editedCatalogue((edited) => {
        edited.career_plans.reverse()
      })

      const diff = yield* catalogue.sync({ file })
      assert.deepStrictEqual(
        diff.plans.filter((plan) => plan.action === "update").map((plan) => [plan.entry.name, plan.changes]),
        [
          ["Professional", [{ field: "rank", before: "7", after: "2" }]],
          ["Pro Plan", [{ field: "rank", before: "2", after: "0" }]],
          ["Free", [{ field: "rank", before: "0", after: "2" }]]
        ]
      )
      const plans = yield* readPlans
      assert.deepStrictEqual(plans.map((plan) => [plan.productType, plan.rank, plan.name]), [
        ["API", 0, "Free"],
        ["API", 1, "Basic"],
        ["API", 2, "Professional"],
        ["CAREER", 0, "Pro Plan"],
        ["CAREER", 1, "Plus Plan"],
        ["CAREER", 2, "Free"]
      ])
    }))

  it.effect("a changed Stripe price id in the environment updates the plans that use it", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      yield* (yield* PlanCatalogue).sync()
      const rotated = Layer.fresh(PlanCatalogue.layer).pipe(
        Layer.provide(ConfigProvider.layer(
          ConfigProvider.fromUnknown({ ...priceEnv, STRIPE_CUBEX_API_SEAT_PRICE_BASIC: "price_rotated_seat" })
        ))
      )
      const diff = yield* PlanCatalogue.use((catalogue) => catalogue.sync()).pipe(Effect.provide(rotated))
      assert.deepStrictEqual(
        diff.plans.filter((plan) => plan.action === "update").map((plan) => [plan.entry.name, plan.changes]),
        [["Basic", [{ field: "seat_stripe_price_id", before: "price_test_basic_seat", after: "price_rotated_seat" }]]]
      )
      assert.strictEqual((yield* planNamed("API", "Basic")).seatStripePriceId, "price_rotated_seat")
    }))

  it.effect("missingOnly creates only what is missing and leaves a changed plan as it is", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      const sql = yield* SqlClient.SqlClient
      yield* catalogue.sync()
      yield* sql`UPDATE plans SET price = 99, is_active = false WHERE product_type = 'API' AND name = 'Basic'`
      yield* sql`DELETE FROM plans WHERE product_type = 'CAREER' AND name = 'Pro Plan'`
      yield* sql`DELETE FROM feature_cost_configs WHERE feature_key = 'API_REFRAME_FEEDBACK'`
      const basicBefore = yield* sql<{ readonly version: string }>`
        SELECT xmin::text AS version FROM plans WHERE product_type = 'API' AND name = 'Basic'`

      const diff = yield* catalogue.sync({ mode: "missingOnly" })
      assert.deepStrictEqual(actionsOf(diff.plans), {
        ...allUnchanged,
        "API/Basic": "kept",
        "CAREER/Pro Plan": "create"
      })
      assert.deepStrictEqual(diff.plans.find((plan) => plan.action === "kept")!.changes, [
        { field: "price", before: "99.00", after: "19.00" },
        { field: "is_active", before: "false", after: "true" }
      ])
      assert.deepStrictEqual(diffSummary(diff), {
        plansCreated: 1,
        plansUpdated: 0,
        plansKept: 1,
        pricingRulesCreated: 1,
        featureCostsCreated: 1
      })
      const basic = yield* planNamed("API", "Basic")
      assert.strictEqual(basic.price, "99.00")
      assert.strictEqual(basic.isActive, false)
      assert.deepStrictEqual(
        yield* sql`SELECT xmin::text AS version FROM plans WHERE product_type = 'API' AND name = 'Basic'`,
        basicBefore
      )
      const pro = yield* planNamed("CAREER", "Pro Plan")
      assert.strictEqual(pro.rank, 2)
      assert.strictEqual(pro.stripePriceId, "price_test_career_pro")
      assert.strictEqual((yield* readRules).length, 6)
      assert.strictEqual(yield* count("feature_cost_configs"), 20)
    }))

  it.effect("missingOnly refuses to create a plan whose rank a kept plan holds, and writes nothing", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      const sql = yield* SqlClient.SqlClient
      yield* catalogue.sync()
      yield* sql`DELETE FROM plans WHERE product_type = 'API' AND name = 'Professional'`
      yield* sql`UPDATE plans SET rank = 2 WHERE product_type = 'API' AND name = 'Basic'`
      const before = yield* rowVersions

      const failure = yield* catalogue.sync({ mode: "missingOnly" }).pipe(Effect.flip)
      assert.strictEqual(failure._tag, "RankTaken")
      assert.strictEqual(
        failure.message,
        "API plans \"Basic\" and \"Professional\" would both have rank 2: " +
          "run a full sync (without --missing-only) to apply the catalogue's ranks"
      )
      assert.deepStrictEqual(yield* rowVersions, before)

      yield* catalogue.sync()
      assert.deepStrictEqual((yield* readPlans).filter((plan) => plan.productType === "API").map((plan) => plan.name), [
        "Free",
        "Basic",
        "Professional"
      ])
    }))

  it.effect("a plan outside the catalogue holding a catalogue rank is named in the error", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO plans (name, product_type, price, rank, type) VALUES ('Legacy', 'API', 0, 1, 'FREE')`
      const failure = yield* (yield* PlanCatalogue).sync().pipe(Effect.flip)
      assert.strictEqual(failure._tag, "RankTaken")
      assert.include(failure.message, "\"Legacy\" is not in the catalogue; give it another rank or delete it")
      assert.strictEqual(yield* count("plans"), 1)
      assert.strictEqual(yield* count("feature_cost_configs"), 0)
    }))

  it.effect("concurrent syncs all succeed, and the catalogue is created exactly once", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      const results = yield* Effect.all(
        [catalogue.sync(), catalogue.sync({ mode: "missingOnly" }), catalogue.sync(), catalogue.sync()],
        { concurrency: "unbounded" }
      )
      const summaries = results.map(diffSummary)
      assert.strictEqual(summaries.reduce((total, summary) => total + summary.plansCreated, 0), 6)
      assert.strictEqual(summaries.reduce((total, summary) => total + summary.pricingRulesCreated, 0), 6)
      assert.strictEqual(summaries.reduce((total, summary) => total + summary.featureCostsCreated, 0), 20)
      assert.strictEqual(summaries.reduce((total, summary) => total + summary.plansUpdated, 0), 0)
      assert.strictEqual(yield* count("plans"), 6)
      assert.strictEqual(yield* count("plan_pricing_rules"), 6)
      assert.strictEqual(yield* count("feature_cost_configs"), 20)
    }))

  it.effect("a malformed catalogue file fails with an error naming the file and each problem; nothing is written", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const catalogue = yield* PlanCatalogue
      const file = yield* editedCatalogue((edited) => {
        edited.api_plans[1]!.features[0]!["colour"] = "red"
        edited.api_plans[2]!["price"] = 49
        edited.career_plans[0]!["stripe_price_id_env"] = "STRIPE_CUBEX_CAREER_PRICE_PLUS"
      })
      const failure = yield* catalogue.sync({ file }).pipe(Effect.flip)
      assert.strictEqual(failure._tag, "CatalogueFileError")
      assert.strictEqual(
        failure.message,
        [
          `Plan catalogue ${file} is not usable:`,
          "  Expected no excess property",
          "    at [\"api_plans\"][1][\"features\"][0][\"colour\"]",
          "  Expected string",
          "    at [\"api_plans\"][2][\"price\"]",
          "  A FREE plan has no Stripe price",
          "    at [\"career_plans\"][0][\"stripe_price_id_env\"]"
        ].join("\n")
      )
      const dryRun = yield* catalogue.diff({ file }).pipe(Effect.flip)
      assert.strictEqual(dryRun._tag, "CatalogueFileError")

      const notJson = yield* editedCatalogue(() => {}).pipe(
        Effect.tap((path) =>
          Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, "{\"api_plans\": ["))
            .pipe(Effect.provide(NodeServices.layer))
        )
      )
      const parseFailure = yield* catalogue.sync({ file: notJson }).pipe(Effect.flip)
      assert.include(parseFailure.message, `Plan catalogue ${notJson} is not usable: invalid JSON`)

      const missing = yield* catalogue.sync({ file: "/nonexistent/plans.json" }).pipe(Effect.flip)
      assert.include(missing.message, "Plan catalogue /nonexistent/plans.json is not usable")

      const unknownEnv = yield* editedCatalogue((edited) => {
        edited.api_plans[1]!["stripe_price_id_env"] = "STRIPE_PRICE_TYPO"
      })
      const envFailure = yield* catalogue.sync({ file: unknownEnv }).pipe(Effect.flip)
      assert.strictEqual(envFailure._tag, "UnknownStripePriceEnv")
      assert.include(envFailure.message, "Unknown Stripe price variable STRIPE_PRICE_TYPO")

      assert.strictEqual(yield* count("plans"), 0)
      assert.strictEqual(yield* count("feature_cost_configs"), 0)
    }))

  it.effect("layerEnsureLoaded fills a fresh database when built and logs one line of what it created", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const first = captureLogs()
      yield* Layer.build(PlanCatalogue.layerEnsureLoaded).pipe(Effect.provide(first.layer))
      assert.deepStrictEqual(first.lines.map((line) => [line.level, line.message]), [
        ["INFO", "Plan catalogue loaded: created 6 plans, 6 pricing rules, 20 feature costs"]
      ])
      assert.strictEqual(yield* count("plans"), 6)
      assert.strictEqual(yield* count("plan_pricing_rules"), 6)
      assert.strictEqual(yield* count("feature_cost_configs"), 20)

      const again = captureLogs()
      const exit = yield* Layer.build(PlanCatalogue.layerEnsureLoaded).pipe(Effect.provide(again.layer), Effect.exit)
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(again.lines.map((line) => line.message), [
        "Plan catalogue loaded: created 0 plans, 0 pricing rules, 0 feature costs"
      ])
    }))
})
