/**
 * Structured logs on stdout: JSON lines by default (`LOG_FORMAT=pretty` for humans), filtered at
 * `LOG_LEVEL`. Request ids and other context arrive as log annotations.
 */
import { LogSettings } from "@cuebx/config"
import { Effect, Layer, Logger, References } from "effect"

export const LoggingLive = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* LogSettings
  return Layer.mergeAll(
    Logger.layer([settings.format === "json" ? Logger.consoleJson : Logger.consolePretty()]),
    Layer.succeed(References.MinimumLogLevel, settings.level)
  )
}))
