/**
 * The scheduler program: runs the periodic jobs of every domain. It holds the database pool;
 * the messaging issue adds the job runner and the domains add their jobs.
 */
import { DatabaseLive } from "@cuebx/db"
import { runProgram } from "@cuebx/observability"
import { Effect, Layer } from "effect"

const Scheduler = Layer.effectDiscard(Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.logInfo("CueBX scheduler stopped"))
  yield* Effect.logInfo("CueBX scheduler started")
}))

runProgram("cuebx-scheduler", Scheduler.pipe(Layer.provide(DatabaseLive)))
