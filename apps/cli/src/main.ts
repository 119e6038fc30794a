import { ConfigSource, Infrastructure, resolveInfrastructure } from "@cuebx/config"
import { ProgramPlatform } from "@cuebx/observability"
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger } from "effect"
import { Command } from "effect/cli"
import { cuebx } from "./Commands.ts"

cuebx.pipe(
  Command.run({ version: "1.0.0" }),
  // Resolved without the start-up line, and logs (the embedded database's) on stderr: what commands
  // print on stdout (`openapi`, `dlq list --json`) is data.
  Effect.provide(Layer.effect(Infrastructure, Effect.map(resolveInfrastructure(), ({ choice }) => choice))),
  Effect.provide([ProgramPlatform, ConfigSource, Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)])]),
  NodeRuntime.runMain
)
