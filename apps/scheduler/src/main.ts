/**
 * The scheduler program: runs the periodic jobs of every domain. It holds the database pool;
 * the messaging issue adds the job runner and the domains add their jobs.
 */
import { ConfigSource, ProductionGuard } from "@cuebx/config"
import { DatabaseLive } from "@cuebx/db"
import { LoggingLive, runProgram, tracingLive } from "@cuebx/observability"
import { Effect, Layer } from "effect"

const Scheduler = Layer.effectDiscard(Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.logInfo("CueBX scheduler stopped"))
  yield* Effect.logInfo("CueBX scheduler started")
}))

const Program = Scheduler.pipe(
  Layer.provide(DatabaseLive),
  Layer.provide(ProductionGuard),
  Layer.provide(tracingLive("cuebx-scheduler")),
  Layer.provide(LoggingLive),
  Layer.provide(ConfigSource)
)

runProgram("cuebx-scheduler", Program)
