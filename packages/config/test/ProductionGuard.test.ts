import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { checkProductionConfiguration, productionProblems } from "../src/ProductionGuard.ts"

const strong = (name: string) => `${name.toLowerCase()}-0123456789abcdef0123456789abcdef`

/** A production configuration that passes every rule. */
const secureProduction: Record<string, string> = {
  ENVIRONMENT: "production",
  SESSION_SECRET_KEY: strong("SESSION_SECRET_KEY"),
  JWT_SECRET_KEY: strong("JWT_SECRET_KEY"),
  OTP_HMAC_SECRET: strong("OTP_HMAC_SECRET"),
  INTERNAL_API_SECRET: strong("INTERNAL_API_SECRET"),
  STRIPE_WEBHOOK_SECRET: strong("whsec"),
  STRIPE_API_KEY: strong("sk_live"),
  ADMIN_PASSWORD: "a-real-admin-password",
  RATE_LIMIT_BACKEND: "redis",
  QUOTA_CACHE_BACKEND: "redis",
  DEBUG: "false",
  CORS_ALLOW_ORIGINS: "[\"https://app.cuebx.example\"]",
  CORS_ALLOW_CREDENTIALS: "true",
  DATABASE_URL: "postgresql+asyncpg://cuebx:pw@db:5432/cuebx"
}

const problemsWith = (env: Record<string, string | undefined>) => {
  const entries = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)
  return productionProblems.pipe(
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(Object.fromEntries(entries))))
  )
}

describe("production guard", () => {
  it.effect("accepts a secure production configuration", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problemsWith(secureProduction), [])
    }))

  it.effect("ignores every rule outside production", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problemsWith({ ENVIRONMENT: "development", DEBUG: "true" }), [])
      assert.deepStrictEqual(yield* problemsWith({}), [])
    }))

  const secrets = [
    "SESSION_SECRET_KEY",
    "JWT_SECRET_KEY",
    "OTP_HMAC_SECRET",
    "INTERNAL_API_SECRET",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_KEY"
  ]

  for (const name of secrets) {
    it.effect(`refuses ${name} left at its example default`, () =>
      Effect.gen(function*() {
        const problems = yield* problemsWith({ ...secureProduction, [name]: undefined })
        assert.deepStrictEqual(problems, [`${name} still has its example default value`])
      }))

    it.effect(`refuses ${name} shorter than 32 bytes`, () =>
      Effect.gen(function*() {
        const problems = yield* problemsWith({ ...secureProduction, [name]: "x".repeat(31) })
        assert.deepStrictEqual(problems, [`${name} is shorter than 32 bytes`])
      }))
  }

  it.effect("counts bytes, not characters", () =>
    Effect.gen(function*() {
      // 16 two-byte characters are 32 bytes.
      const problems = yield* problemsWith({ ...secureProduction, JWT_SECRET_KEY: "é".repeat(16) })
      assert.deepStrictEqual(problems, [])
    }))

  it.effect("refuses the default admin password", () =>
    Effect.gen(function*() {
      const problems = yield* problemsWith({
        ...secureProduction,
        ADMIN_PASSWORD: "admin_password_change_in_production"
      })
      assert.deepStrictEqual(problems, ["ADMIN_PASSWORD still has its example default value"])
    }))

  it.effect("refuses memory backends (also when left at their default)", () =>
    Effect.gen(function*() {
      const problems = yield* problemsWith({
        ...secureProduction,
        RATE_LIMIT_BACKEND: "memory",
        QUOTA_CACHE_BACKEND: undefined
      })
      assert.deepStrictEqual(problems, [
        "RATE_LIMIT_BACKEND is 'memory' (use 'redis')",
        "QUOTA_CACHE_BACKEND is 'memory' (use 'redis')"
      ])
    }))

  it.effect("refuses embedded infrastructure and auto (which may embed a part), accepts external", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problemsWith({ ...secureProduction, CUEBX_INFRA: "embedded" }), [
        "CUEBX_INFRA is 'embedded' (production runs only on configured servers: use 'external')"
      ])
      assert.deepStrictEqual(yield* problemsWith({ ...secureProduction, CUEBX_INFRA: "auto" }), [
        "CUEBX_INFRA is 'auto' (production runs only on configured servers: use 'external')"
      ])
      assert.deepStrictEqual(yield* problemsWith({ ...secureProduction, CUEBX_INFRA: "external" }), [])
    }))

  it.effect("refuses DEBUG", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problemsWith({ ...secureProduction, DEBUG: "1" }), ["DEBUG is on"])
    }))

  it.effect("refuses wildcard CORS with credentials, but not without credentials", () =>
    Effect.gen(function*() {
      const withCredentials = yield* problemsWith({ ...secureProduction, CORS_ALLOW_ORIGINS: "[\"*\"]" })
      assert.deepStrictEqual(withCredentials, ["CORS_ALLOW_ORIGINS allows '*' while CORS_ALLOW_CREDENTIALS is true"])
      const withoutCredentials = yield* problemsWith({
        ...secureProduction,
        CORS_ALLOW_ORIGINS: "*",
        CORS_ALLOW_CREDENTIALS: "false"
      })
      assert.deepStrictEqual(withoutCredentials, [])
    }))

  it.effect("refuses a missing DATABASE_URL", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problemsWith({ ...secureProduction, DATABASE_URL: undefined }), [
        "DATABASE_URL is not set"
      ])
    }))

  it.effect("names every offending variable in one message", () =>
    Effect.gen(function*() {
      const error = yield* checkProductionConfiguration.pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ ENVIRONMENT: "production", DEBUG: "true" }))),
        Effect.flip
      )
      if (error._tag !== "InsecureConfiguration") return assert.fail(`unexpected ${error._tag}`)
      for (
        const name of [
          ...secrets,
          "ADMIN_PASSWORD",
          "RATE_LIMIT_BACKEND",
          "QUOTA_CACHE_BACKEND",
          "DEBUG",
          "DATABASE_URL"
        ]
      ) {
        assert.include(error.message, name)
      }
      assert.strictEqual(error.problems.length, 11)
    }))
})
