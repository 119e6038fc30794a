/**
 * How every CueBX program runs: its layer launched until SIGTERM/SIGINT, logs annotated with the
 * program's name, and a shutdown by signal counted as a clean stop (exit 0) once every finalizer
 * has run. A failure to start (bad configuration, say) exits 1 with the reason logged.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, Runtime } from "effect"

const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

export const runProgram = <E>(program: string, layer: Layer.Layer<never, E>) =>
  Layer.launch(layer).pipe(
    Effect.annotateLogs({ program }),
    (effect) => NodeRuntime.runMain(effect, { teardown })
  )
