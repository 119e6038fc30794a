/**
 * The `cuebx` command line: `migrate` (create the database if needed, apply pending migrations)
 * and `openapi` (print the OpenAPI document; needs no database, Redis or RabbitMQ).
 */
import { DatabaseUrl, ProductionGuard } from "@cuebx/config"
import { CuebxApi } from "@cuebx/contract"
import { DatabaseLive, ensureDatabase, runMigrations } from "@cuebx/db"
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { OpenApi } from "effect/http-api"

const migrate = Command.make(
  "migrate",
  {},
  Effect.fn("cli.migrate")(function*() {
    const url = yield* DatabaseUrl
    if (yield* ensureDatabase(url)) yield* Console.log("Created the database.")
    const applied = yield* runMigrations.pipe(Effect.provide(DatabaseLive))
    yield* Console.log(
      applied.length === 0
        ? "Database is up to date."
        : applied.map(([id, name]) => `Applied ${String(id).padStart(4, "0")}_${name}`).join("\n")
    )
  }, Effect.provide(ProductionGuard))
).pipe(Command.withDescription("Create the database if it does not exist and apply pending migrations"))

const openapi = Command.make(
  "openapi",
  {},
  () => Console.log(JSON.stringify(OpenApi.fromApi(CuebxApi), null, 2))
).pipe(Command.withDescription("Print the OpenAPI 3.1 document of the REST API"))

export const cuebx = Command.make("cuebx").pipe(
  Command.withDescription("CueBX operations: database migrations, API documents"),
  Command.withSubcommands([migrate, openapi])
)
