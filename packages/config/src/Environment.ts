/**
 * Process-wide settings every program reads: which environment this is, the application's name
 * and public URL, and how it logs. Domain settings live next to the layers that use them.
 */
import { Config, LogLevel, Schema, SchemaTransformation } from "effect"

export const Environment = Config.String("ENVIRONMENT").pipe(Config.withDefault("development"))

export const isProduction = Environment.pipe(Config.map((env) => env === "production"))

export const AppInfo = Config.all({
  environment: Environment,
  debug: Config.Boolean("DEBUG").pipe(Config.withDefault(false)),
  name: Config.String("APP_NAME").pipe(Config.withDefault("CueBX")),
  version: Config.String("APP_VERSION").pipe(Config.withDefault("1.0.0")),
  apiDomain: Config.String("API_DOMAIN").pipe(Config.withDefault("http://localhost:8000"))
})
export type AppInfo = Config.Success<typeof AppInfo>

// Accepts the level in any case ("info", "INFO", "Info").
const LogLevelName = Schema.String.pipe(
  Schema.decodeTo(
    Schema.Literals(LogLevel.values),
    SchemaTransformation.transform({
      // The literal check on the target schema rejects anything that is not a level.
      decode: (name) => (name.charAt(0).toUpperCase() + name.slice(1).toLowerCase()) as LogLevel.LogLevel,
      encode: (level) => level
    })
  )
)

export const LogSettings = Config.all({
  level: Config.schema(LogLevelName, "LOG_LEVEL").pipe(Config.withDefault<LogLevel.LogLevel>("Info")),
  format: Config.Literals(["json", "pretty"], "LOG_FORMAT").pipe(Config.withDefault("json"))
})
