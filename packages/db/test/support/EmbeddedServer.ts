/**
 * A program that runs the embedded PostgreSQL on `CUEBX_DATA_DIR/postgres` and prints `serving`,
 * for the test that kills it with SIGKILL: its server must not outlive it.
 */
import { ConfigSource, DataDirectory } from "@cuebx/config"
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { EmbeddedPostgres } from "../../src/EmbeddedPostgres.ts"

if (import.meta.main) {
  Layer.unwrap(Effect.map(DataDirectory, (directory) => EmbeddedPostgres.layer(`${directory}/postgres`))).pipe(
    Layer.tap(() => Effect.sync(() => console.log("serving"))),
    Layer.provide(ConfigSource),
    Layer.launch,
    NodeRuntime.runMain
  )
}
