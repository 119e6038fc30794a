import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { parseOriginList } from "../src/Cors.ts"
import { DatabaseUrl, developmentDatabaseUrl, normaliseDatabaseUrl } from "../src/Database.ts"
import { LogSettings } from "../src/Environment.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))

describe("DATABASE_URL", () => {
  it("accepts SQLAlchemy's driver suffixes", () => {
    assert.strictEqual(normaliseDatabaseUrl("postgresql+asyncpg://u:p@h:5432/db"), "postgresql://u:p@h:5432/db")
    assert.strictEqual(normaliseDatabaseUrl("postgres+psycopg://h/db"), "postgres://h/db")
    assert.strictEqual(normaliseDatabaseUrl("postgresql://h/db"), "postgresql://h/db")
  })

  it.effect("falls back to the local development database", () =>
    Effect.gen(function*() {
      assert.strictEqual(Redacted.value(yield* DatabaseUrl), developmentDatabaseUrl)
      const set = yield* DatabaseUrl.pipe(withEnv({ DATABASE_URL: "postgresql+asyncpg://x@y/z" }))
      assert.strictEqual(Redacted.value(set), "postgresql://x@y/z")
    }).pipe(withEnv({})))
})

describe("CORS_ALLOW_ORIGINS", () => {
  it("reads the reference's JSON list and plain comma lists", () => {
    assert.deepStrictEqual(parseOriginList("[\"https://a.example\", \"https://b.example\"]"), [
      "https://a.example",
      "https://b.example"
    ])
    assert.deepStrictEqual(parseOriginList("https://a.example, https://b.example"), [
      "https://a.example",
      "https://b.example"
    ])
    assert.deepStrictEqual(parseOriginList("[https://a.example]"), ["https://a.example"])
    assert.deepStrictEqual(parseOriginList(""), [])
  })
})

describe("LOG_LEVEL", () => {
  it.effect("accepts any case and rejects unknown levels", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* LogSettings.pipe(withEnv({ LOG_LEVEL: "debug" }))).level, "Debug")
      assert.strictEqual((yield* LogSettings.pipe(withEnv({ LOG_LEVEL: "WARN" }))).level, "Warn")
      assert.strictEqual((yield* LogSettings.pipe(withEnv({}))).level, "Info")
      const error = yield* LogSettings.pipe(withEnv({ LOG_LEVEL: "loud" }), Effect.flip)
      assert.strictEqual(error._tag, "ConfigError")
    }))
})
