/**
 * The database of a program, on the infrastructure it chose (`Infrastructure`): the pool at
 * `DATABASE_URL`, or the embedded PostgreSQL under `<CUEBX_DATA_DIR>/postgres`, started with the
 * program, its database created and migrated on start. Tests use `DatabaseLive` directly.
 */
import { DatabaseUrl, DataDirectory, Infrastructure } from "@cuebx/config"
import type { PgClient } from "@effect/sql-pg"
import { type Config, Effect, type FileSystem, Layer, type Path } from "effect"
import type * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import type { SqlClient, SqlError } from "effect/sql"
import type { MigrationError } from "effect/sql/Migrator"
import { DatabaseLive, DatabaseSettings, ensureDatabase, layerFromSettings, splitDatabaseUrl } from "./Database.ts"
import { EmbeddedPostgres, type EmbeddedPostgresFailed } from "./EmbeddedPostgres.ts"
import { runMigrations } from "./Migrations.ts"

const Migrated = Layer.effectDiscard(Effect.gen(function*() {
  const applied = yield* runMigrations
  if (applied.length > 0) {
    yield* Effect.logInfo(`Applied ${applied.length} migrations to the embedded database`, {
      migrations: applied.map(([id, name]) => `${String(id).padStart(4, "0")}_${name}`)
    })
  }
}))

/** The pool on the embedded server, whose database (the one `DATABASE_URL` names, `cuebx`) is created and migrated. */
const EmbeddedDatabase = Layer.unwrap(Effect.gen(function*() {
  const server = yield* EmbeddedPostgres
  const settings = yield* DatabaseSettings
  const url = server.url(splitDatabaseUrl(yield* DatabaseUrl).database)
  yield* ensureDatabase(url)
  return Migrated.pipe(Layer.provideMerge(layerFromSettings({ ...settings, url })))
})).pipe(
  Layer.provide(Layer.unwrap(Effect.map(DataDirectory, (directory) => EmbeddedPostgres.layer(`${directory}/postgres`))))
)

export const ProgramDatabase = Layer.unwrap(Effect.gen(function*() {
  const infrastructure = yield* Infrastructure
  const chosen: Layer.Layer<
    PgClient.PgClient | SqlClient.SqlClient,
    EmbeddedPostgresFailed | SqlError.SqlError | Config.ConfigError | MigrationError,
    FileSystem.FileSystem | Path.Path | ChildProcessSpawner.ChildProcessSpawner
  > = infrastructure.database === "embedded" ? EmbeddedDatabase : DatabaseLive
  return chosen
}))
