import { ConfigSource } from "@cuebx/config"
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { cuebx } from "./Commands.ts"

cuebx.pipe(
  Command.run({ version: "1.0.0" }),
  Effect.provide([NodeServices.layer, ConfigSource]),
  NodeRuntime.runMain
)
