/**
 * The worker program: consumes every queue (handlers, retries, dead letters and their alerts)
 * and relays the outbox, over RabbitMQ or the database-backed queues (`CUEBX_INFRA`). SIGTERM stops consuming, lets in-flight messages finish, then closes
 * the channels and the connection.
 */
import { QueueWorkers } from "@cuebx/background"
import { Broker, OutboxRelayLive } from "@cuebx/broker"
import { ResolvedInfrastructure } from "@cuebx/config"
import { ProgramDatabase } from "@cuebx/db"
import { ProgramPlatform, runProgram } from "@cuebx/observability"
import { Effect, Layer } from "effect"

const Lifecycle = Layer.effectDiscard(Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.logInfo("CueBX worker stopped"))
  yield* Effect.logInfo("CueBX worker started")
}))

runProgram(
  "cuebx-worker",
  // Lifecycle is built first and released last, after the consumers have finished.
  Layer.mergeAll(QueueWorkers, OutboxRelayLive).pipe(
    Layer.provide(Lifecycle),
    Layer.provide(Broker.layerChosen),
    Layer.provide(ProgramDatabase),
    Layer.provide(ProgramPlatform),
    Layer.provide(ResolvedInfrastructure)
  )
)
