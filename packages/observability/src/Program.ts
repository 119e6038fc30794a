/**
 * How every CueBX program runs: configuration from the environment and `.env`, the production
 * guard before anything connects, JSON logs and tracing, then its layer launched until
 * SIGTERM/SIGINT. A shutdown by signal is a clean stop (exit 0) once every finalizer has run; a
 * failure to start (an insecure configuration, say) exits 1 with the reason logged.
 */
import { ConfigSource, ProductionGuard } from "@cuebx/config"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, Runtime } from "effect"
import { LoggingLive } from "./Logging.ts"
import { tracingLive } from "./Tracing.ts"

const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

export const runProgram = <E>(program: string, layer: Layer.Layer<never, E>) =>
  layer.pipe(
    Layer.provide(ProductionGuard),
    Layer.provide(tracingLive(program)),
    Layer.provide(LoggingLive),
    Layer.provide(ConfigSource),
    Layer.launch,
    Effect.annotateLogs({ program }),
    (effect) => NodeRuntime.runMain(effect, { teardown })
  )
