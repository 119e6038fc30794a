import { spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import { Effect } from "effect"

const entry = "apps/scheduler/src/main.ts"

it.live("refuses to start in production with insecure settings", () =>
  Effect.gen(function*() {
    const program = yield* spawnProgram(entry, { ENVIRONMENT: "production" })
    assert.strictEqual(yield* program.exited, 1)
    assert.include(program.output().join("\n"), "JWT_SECRET_KEY still has its example default value")
    assert.notInclude(program.output().join("\n"), "CueBX scheduler started")
  }))

layer(TestInfra.layer(), { excludeTestServices: true })("lifecycle", (it) => {
  it.effect("starts, logs, and stops cleanly on SIGTERM", () =>
    Effect.gen(function*() {
      const { env } = yield* TestEnvironment
      const program = yield* spawnProgram(entry, env)
      yield* program.waitForOutput("CueBX scheduler started")
      yield* program.waitForOutput("Job runner started")
      program.process.kill("SIGTERM")
      assert.strictEqual(yield* program.exited, 0)
      yield* program.waitForOutput("CueBX scheduler stopped")
    }))
})
