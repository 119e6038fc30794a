/**
 * Refuses to start a production process with an insecure configuration: example or short
 * secrets, the default admin password, per-process backends or embedded infrastructure, DEBUG,
 * wildcard CORS with credentials, or no explicit database. Every offending variable is named in
 * one message.
 */
import { Config, Data, Effect, Layer, Option, Redacted } from "effect"
import { QuotaCacheBackend, RateLimitBackend } from "./Backends.ts"
import { CorsSettings } from "./Cors.ts"
import { ExplicitDatabaseUrl } from "./Database.ts"
import { AppInfo } from "./Environment.ts"
import { InfraModeSetting } from "./Infrastructure.ts"
import { AdminPassword, minimumSecretBytes, signingSecrets } from "./Secrets.ts"

export class InsecureConfiguration extends Data.TaggedError("InsecureConfiguration")<{
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `ENVIRONMENT is 'production' but the configuration is insecure:\n${
      this.problems.map((problem) => `  - ${problem}`).join("\n")
    }`
  }
}

const secretProblems = Effect.gen(function*() {
  const problems: Array<string> = []
  for (const setting of signingSecrets) {
    const value = Redacted.value(yield* setting.config)
    if (value === setting.exampleDefault) {
      problems.push(`${setting.name} still has its example default value`)
    } else if (Buffer.byteLength(value, "utf8") < minimumSecretBytes) {
      problems.push(`${setting.name} is shorter than ${minimumSecretBytes} bytes`)
    }
  }
  const adminPassword = Redacted.value(yield* AdminPassword.config)
  if (adminPassword === AdminPassword.exampleDefault) {
    problems.push(`${AdminPassword.name} still has its example default value`)
  }
  return problems
})

/** Every problem of the current configuration; empty outside production. */
export const productionProblems: Effect.Effect<ReadonlyArray<string>, Config.ConfigError> = Effect.gen(function*() {
  const app = yield* AppInfo
  if (app.environment !== "production") return []
  const problems = yield* secretProblems
  const infra = yield* InfraModeSetting
  if (infra !== "external") {
    problems.push(`CUEBX_INFRA is '${infra}' (production runs only on configured servers: use 'external')`)
  }
  if ((yield* RateLimitBackend) === "memory") problems.push("RATE_LIMIT_BACKEND is 'memory' (use 'redis')")
  if ((yield* QuotaCacheBackend) === "memory") problems.push("QUOTA_CACHE_BACKEND is 'memory' (use 'redis')")
  if (app.debug) problems.push("DEBUG is on")
  const cors = yield* CorsSettings
  if (cors.allowCredentials && cors.allowOrigins.includes("*")) {
    problems.push("CORS_ALLOW_ORIGINS allows '*' while CORS_ALLOW_CREDENTIALS is true")
  }
  if (Option.isNone(yield* ExplicitDatabaseUrl)) problems.push("DATABASE_URL is not set")
  return problems
})

export const checkProductionConfiguration = productionProblems.pipe(
  Effect.flatMap((problems) =>
    problems.length === 0 ? Effect.void : Effect.fail(new InsecureConfiguration({ problems }))
  )
)

/** Build this layer before anything opens a port or a connection. */
export const ProductionGuard = Layer.effectDiscard(checkProductionConfiguration)
