import { ConfigSource } from "@cuebx/config"
import { ProgramPlatform } from "@cuebx/observability"
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { cuebx } from "./Commands.ts"

cuebx.pipe(
  Command.run({ version: "1.0.0" }),
  Effect.provide([ProgramPlatform, ConfigSource]),
  NodeRuntime.runMain
)
