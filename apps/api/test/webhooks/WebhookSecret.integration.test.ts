/**
 * W9-24: a blank `STRIPE_WEBHOOK_SECRET` is a start-up error of the API (the reference answered
 * every webhook 400 `Invalid signature` instead, hiding the misconfiguration). An unset or empty
 * variable is the example default, which the production guard refuses (Program test).
 */
import { allQueueNames } from "@cuebx/broker"
import { freePort, spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"

layer(TestInfra.layer({ queues: allQueueNames() }), { excludeTestServices: true })("the webhook secret", (it) => {
  it.effect("W9-24: the API refuses to start with a blank STRIPE_WEBHOOK_SECRET, saying so", () =>
    Effect.gen(function*() {
      const { env } = yield* TestEnvironment
      const api = yield* spawnProgram("apps/api/src/main.ts", {
        ...env,
        STRIPE_WEBHOOK_SECRET: "   ",
        PORT: String(yield* freePort),
        HOST: "127.0.0.1"
      })
      assert.notStrictEqual(yield* api.exited, 0)
      const output = api.output().join("\n")
      assert.include(output, "STRIPE_WEBHOOK_SECRET is empty")
      assert.notInclude(output, "CueBX API listening")
    }))
})
