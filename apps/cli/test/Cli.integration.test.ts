import { dropDatabase } from "@cuebx/db"
import { spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"

const run = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    const cli = yield* spawnProgram("apps/cli/src/main.ts", env, args)
    const code = yield* cli.exited
    return { code, output: cli.output().join("\n") }
  })

it.live("openapi prints the OpenAPI 3.1 document without any infrastructure", () =>
  Effect.gen(function*() {
    const { code, output } = yield* run(["openapi"], {
      DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none",
      REDIS_URL: "redis://127.0.0.1:1",
      RABBITMQ_URL: "amqp://127.0.0.1:1"
    })
    assert.strictEqual(code, 0)
    const document = JSON.parse(output) as { openapi: string; paths: Record<string, unknown> }
    assert.strictEqual(document.openapi, "3.1.0")
    assert.property(document.paths, "/health")
  }))

it.live("--help lists the commands", () =>
  Effect.gen(function*() {
    const { code, output } = yield* run(["--help"], {})
    assert.strictEqual(code, 0)
    assert.include(output, "migrate")
    assert.include(output, "openapi")
  }))

it.live("migrate refuses an insecure production configuration", () =>
  Effect.gen(function*() {
    const { code, output } = yield* run(["migrate"], { ENVIRONMENT: "production" })
    assert.strictEqual(code, 1)
    assert.include(output, "DATABASE_URL is not set")
  }))

layer(TestInfra.layer(), { excludeTestServices: true })("migrate", (it) => {
  it.effect("creates a missing database, applies the migrations, then reports it up to date", () =>
    Effect.gen(function*() {
      const { databaseUrl } = yield* TestEnvironment
      const fresh = new URL(Redacted.value(databaseUrl))
      fresh.pathname = `${fresh.pathname}_cli`
      const env = { DATABASE_URL: fresh.toString() }
      const first = yield* run(["migrate"], env)
      assert.strictEqual(first.code, 0, first.output)
      assert.include(first.output, "Created the database.")
      assert.include(first.output, "Applied 0001_core_foundation")
      const second = yield* run(["migrate"], env)
      assert.include(second.output, "Database is up to date.")
    }).pipe(Effect.ensuring(dropCliDatabase)))
})

const dropCliDatabase = Effect.gen(function*() {
  const { databaseUrl } = yield* TestEnvironment
  const fresh = new URL(Redacted.value(databaseUrl))
  fresh.pathname = `${fresh.pathname}_cli`
  yield* dropDatabase(Redacted.make(fresh.toString())).pipe(Effect.orDie)
})
