/**
 * `cuebx sync-plans --stripe` against a fake Stripe that has none of the catalogue's prices: it
 * creates each paid plan's product and its base and seat prices, stores their ids, and has
 * nothing left to do on a second run.
 */
import { DatabaseLive } from "@cuebx/db"
import { type FakeStripe, makeFakeStripe, spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"

class Stripe extends Context.Service<Stripe, FakeStripe>()("test/FakeStripe") {}

const infra = Layer.mergeAll(DatabaseLive, Layer.effect(Stripe, makeFakeStripe())).pipe(
  Layer.provideMerge(TestInfra.layer())
)

const run = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { env } = yield* TestEnvironment
    const stripe = yield* Stripe
    const cli = yield* spawnProgram("apps/cli/src/main.ts", {
      ...env,
      STRIPE_API_BASE_URL: stripe.url,
      STRIPE_API_KEY: "sk_test_cli_0123456789abcdefghijklmnopqrstu"
    }, args)
    const code = yield* cli.exited
    return { code, output: cli.output().join("\n") }
  })

layer(infra, { excludeTestServices: true })("sync-plans --stripe", (it) => {
  it.effect("creates the Stripe products and prices paid plans miss, once", () =>
    Effect.gen(function*() {
      const stripe = yield* Stripe
      const first = yield* run(["sync-plans", "--stripe"])
      assert.strictEqual(first.code, 0, first.output)
      assert.include(first.output, "Stripe:")
      assert.strictEqual(stripe.products().length, 4)
      assert.strictEqual(stripe.prices().length, 6)
      assert.include(first.output, "+ Stripe base price")
      assert.include(first.output, "for API/Basic")

      const sql = yield* SqlClient.SqlClient
      const plans = yield* sql<{
        readonly name: string
        readonly stripeProductId: string | null
        readonly stripePriceId: string | null
        readonly seatStripePriceId: string | null
      }>`SELECT name, stripe_product_id, stripe_price_id, seat_stripe_price_id FROM plans WHERE product_type = 'API' AND type = 'PAID'`
      const prices = new Map(stripe.prices().map((price) => [price["id"], price]))
      for (const plan of plans) {
        assert.include(prices.get(plan.stripePriceId!)!, { product: plan.stripeProductId })
        assert.include(prices.get(plan.seatStripePriceId!)!, { product: plan.stripeProductId })
      }
      const basic = plans.find((plan) => plan.name === "Basic")!
      assert.strictEqual(prices.get(basic.stripePriceId!)!["unit_amount"], 1900)
      assert.strictEqual(prices.get(basic.seatStripePriceId!)!["unit_amount"], 200)

      const second = yield* run(["sync-plans", "--missing-only", "--stripe"])
      assert.strictEqual(second.code, 0, second.output)
      assert.include(second.output, "Stripe: every paid plan has its product and prices")
      assert.strictEqual(stripe.products().length, 4)
    }))

  it.effect("a dry run creates nothing in Stripe", () =>
    Effect.gen(function*() {
      const stripe = yield* Stripe
      const before = stripe.server.requests().length
      const dry = yield* run(["sync-plans", "--dry-run", "--stripe"])
      assert.strictEqual(dry.code, 0, dry.output)
      assert.include(dry.output, "Stripe: nothing is created in a dry run")
      assert.strictEqual(stripe.server.requests().length, before)
    }))
})
