/**
 * The worker program: consumes the RabbitMQ queues of every domain. It holds the broker
 * connection and the database pool; the messaging issue registers the consumers here.
 */
import { BrokerConnection } from "@cuebx/broker"
import { DatabaseLive } from "@cuebx/db"
import { runProgram } from "@cuebx/observability"
import { Effect, Layer } from "effect"

const Worker = Layer.effectDiscard(Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.logInfo("CueBX worker stopped"))
  yield* Effect.logInfo("CueBX worker started")
}))

runProgram("cuebx-worker", Worker.pipe(Layer.provide(Layer.mergeAll(BrokerConnection.layer, DatabaseLive))))
