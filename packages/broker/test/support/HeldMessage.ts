/**
 * A consumer program for the crash test of the messaging contract: it consumes
 * `career_usage_commits` over the transport named by `TEST_TRANSPORT` and, for each message,
 * prints `holding <message id>` and never finishes, until the test kills it.
 */
import { ConfigSource } from "@cuebx/config"
import { DatabaseLive } from "@cuebx/db"
import { NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Schema } from "effect"
import { Broker } from "../../src/Broker.ts"
import { queueHandler, runConsumers } from "../../src/Consumers.ts"
import { messageType } from "../../src/MessageType.ts"
import { Queues } from "../../src/Queues.ts"

export const heldMessage = messageType(Queues.careerUsageCommits, Schema.Struct({ key: Schema.String }))

const holdForever = queueHandler(
  heldMessage,
  (_, context) => Effect.sync(() => console.log(`holding ${context.messageId}`)).pipe(Effect.andThen(Effect.never))
)

const Transport = Layer.unwrap(Effect.gen(function*() {
  const kind = yield* Config.Literals(["rabbitmq", "database"], "TEST_TRANSPORT")
  return kind === "rabbitmq" ? Broker.layerConnected : Broker.layerDatabase
}))

if (import.meta.main) {
  runConsumers([holdForever]).pipe(
    Layer.provide(Transport),
    Layer.provide(DatabaseLive),
    Layer.provide(ConfigSource),
    Layer.launch,
    NodeRuntime.runMain
  )
}
