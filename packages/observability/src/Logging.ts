/**
 * Structured logs on stdout: JSON lines by default (`LOG_FORMAT=pretty` for humans), filtered at
 * `LOG_LEVEL`. Request ids and other context arrive as log annotations. JSON lines are written in
 * batches (one write per `LOG_FLUSH_INTERVAL`, and at shutdown), not one system call per line:
 * under load a write per access-log line cost the API more CPU than its own request handling.
 */
import { LogSettings } from "@cuebx/config"
import { Config, Duration, Effect, Layer, Logger, References } from "effect"

const LogFlushInterval = Config.Duration("LOG_FLUSH_INTERVAL").pipe(Config.withDefault(Duration.millis(50)))

const batchedJsonLines = Effect.gen(function*() {
  const window = yield* LogFlushInterval
  return yield* Logger.batched(Logger.formatJson, {
    window,
    flush: (lines) => Effect.sync(() => void process.stdout.write(`${lines.join("\n")}\n`))
  })
})

export const LoggingLive = Layer.unwrap(Effect.gen(function*() {
  const settings = yield* LogSettings
  return Layer.mergeAll(
    Logger.layer([settings.format === "json" ? batchedJsonLines : Logger.consolePretty()]),
    Layer.succeed(References.MinimumLogLevel, settings.level)
  )
}))
