/**
 * The worker program: consumes the RabbitMQ queues of every domain. It holds the broker
 * connection and the database pool; the messaging issue registers the consumers here.
 */
import { BrokerConnection } from "@cuebx/broker"
import { ConfigSource, ProductionGuard } from "@cuebx/config"
import { DatabaseLive } from "@cuebx/db"
import { LoggingLive, runProgram, tracingLive } from "@cuebx/observability"
import { Effect, Layer } from "effect"

const Worker = Layer.effectDiscard(Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.logInfo("CueBX worker stopped"))
  yield* Effect.logInfo("CueBX worker started")
}))

const Program = Worker.pipe(
  Layer.provide(Layer.mergeAll(BrokerConnection.layer, DatabaseLive)),
  Layer.provide(ProductionGuard),
  Layer.provide(tracingLive("cuebx-worker")),
  Layer.provide(LoggingLive),
  Layer.provide(ConfigSource)
)

runProgram("cuebx-worker", Program)
