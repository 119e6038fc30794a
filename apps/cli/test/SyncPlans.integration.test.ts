import { DatabaseLive } from "@cuebx/db"
import { spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const run = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { env } = yield* TestEnvironment
    const cli = yield* spawnProgram("apps/cli/src/main.ts", env, args)
    const code = yield* cli.exited
    return { code, output: cli.output().join("\n") }
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

const temporaryFile = (contents: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const directory = mkdtempSync(join(tmpdir(), "cuebx-plans-"))
      writeFileSync(join(directory, "plans.json"), contents)
      return directory
    }),
    (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
  ).pipe(Effect.map((directory) => join(directory, "plans.json")))

const infra = DatabaseLive.pipe(
  Layer.provideMerge(TestInfra.layer({
    env: { STRIPE_CUBEX_API_PRICE_BASIC: "price_cli_basic", STRIPE_CUBEX_CAREER_PRICE_PRO: "price_cli_career_pro" }
  }))
)

layer(infra, { excludeTestServices: true })("sync-plans", (it) => {
  it.effect("--dry-run prints the plans and what would change, and writes nothing", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const { code, output } = yield* run(["sync-plans", "--dry-run"])
      assert.strictEqual(code, 0, output)
      const lines = output.split("\n")
      assert.deepStrictEqual(lines.slice(0, 8), [
        "Found 6 plans to sync",
        "DRY RUN - No changes will be made",
        "  - API/Free: $0/month  (create)",
        "  - API/Basic: $19/month  (create)",
        "  - API/Professional: $49/month  (create)",
        "  - CAREER/Free: $0/month  (create)",
        "  - CAREER/Plus Plan: $20/month  (create)",
        "  - CAREER/Pro Plan: $40/month  (create)"
      ])
      assert.include(
        lines,
        "  + pricing rule API/Professional: 100000.00 credits, 300/minute, unlimited/day, multiplier 1.00"
      )
      assert.include(lines, "  + feature cost career.job_match: 2.00 credits")
      assert.strictEqual(lines.at(-1), "Would create 6, update 0, create 6 pricing rules and 20 feature costs")
      assert.strictEqual(yield* count("plans"), 0)
      assert.strictEqual(yield* count("plan_pricing_rules"), 0)
      assert.strictEqual(yield* count("feature_cost_configs"), 0)
    }))

  it.effect("a run creates the catalogue; later runs report field changes, and --missing-only keeps them", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const sql = yield* SqlClient.SqlClient
      const created = yield* run(["sync-plans"])
      assert.strictEqual(created.code, 0, created.output)
      assert.strictEqual(
        created.output.split("\n").at(-1),
        "Sync complete: 6 created, 0 updated, 6 pricing rules created, 20 feature costs created"
      )
      const plans = yield* sql<{ readonly name: string; readonly rank: number; readonly stripePriceId: string | null }>`
        SELECT name, rank, stripe_price_id FROM plans ORDER BY product_type, rank`
      assert.deepStrictEqual(plans.map((plan) => [plan.name, plan.rank, plan.stripePriceId]), [
        ["Free", 0, null],
        ["Basic", 1, "price_cli_basic"],
        ["Professional", 2, "price_1NEXAMPLEPROFESSIONAL"],
        ["Free", 0, null],
        ["Plus Plan", 1, "price_1NEXAMPLECAREERPLUS"],
        ["Pro Plan", 2, "price_cli_career_pro"]
      ])
      assert.strictEqual(yield* count("plan_pricing_rules"), 6)
      assert.strictEqual(yield* count("feature_cost_configs"), 20)

      yield* sql`UPDATE plans SET price = 99, trial_days = 30 WHERE product_type = 'API' AND name = 'Basic'`
      const preview = yield* run(["sync-plans", "-n"])
      assert.include(
        preview.output.split("\n"),
        "  - API/Basic: $19/month  (update: price 99.00 → 19.00, trial_days 30 → 7)"
      )
      assert.include(preview.output.split("\n"), "  - API/Free: $0/month  (unchanged)")

      const missingOnly = yield* run(["sync-plans", "--missing-only"])
      assert.strictEqual(missingOnly.code, 0, missingOnly.output)
      assert.include(
        missingOnly.output.split("\n"),
        "  - API/Basic: $19/month  (kept (--missing-only), file differs: price 99.00 → 19.00, trial_days 30 → 7)"
      )
      assert.strictEqual(
        missingOnly.output.split("\n").at(-1),
        "Sync complete: 0 created, 0 updated, 0 pricing rules created, 0 feature costs created, " +
          "1 kept despite differences (--missing-only)"
      )
      const [kept] = yield* sql<{ readonly price: string }>`
        SELECT price FROM plans WHERE product_type = 'API' AND name = 'Basic'`
      assert.strictEqual(kept!.price, "99.00")

      const updated = yield* run(["sync-plans"])
      assert.strictEqual(
        updated.output.split("\n").at(-1),
        "Sync complete: 0 created, 1 updated, 0 pricing rules created, 0 feature costs created"
      )
      const [restored] = yield* sql<{ readonly price: string; readonly trialDays: number }>`
        SELECT price, trial_days FROM plans WHERE product_type = 'API' AND name = 'Basic'`
      assert.deepStrictEqual(restored, { price: "19.00", trialDays: 7 })
    }))

  it.effect("a malformed --file is reported and the command exits 1 without writing", () =>
    Effect.gen(function*() {
      yield* emptyCatalogueTables
      const file = yield* temporaryFile(JSON.stringify({ api_plans: [{ name: "Free" }], career_plans: [], extra: 1 }))
      const { code, output } = yield* run(["sync-plans", "--file", file])
      assert.strictEqual(code, 1)
      assert.include(output, `Plan catalogue ${file} is not usable:`)
      assert.include(output, "Missing key\n    at [\"api_plans\"][0][\"price\"]")
      assert.include(output, "Expected no excess property\n    at [\"extra\"]")
      assert.strictEqual(yield* count("plans"), 0)

      const missing = yield* run(["sync-plans", "--dry-run", "--file", `${file}.missing`])
      assert.strictEqual(missing.code, 1)
      assert.include(missing.output, `Plan catalogue ${file}.missing is not usable`)
    }))
})
