/**
 * Runs the migration sequence (`MigrationSequence.ts`) with Effect's Migrator: every pending
 * migration in order, each in a transaction, under the migrator's table lock.
 */
import { PgMigrator } from "@effect/sql-pg"
import { Effect } from "effect"
import { Migrator } from "effect/sql"
import { fileURLToPath } from "node:url"
import { migrationSequence } from "./MigrationSequence.ts"

/** Where the migration files are (the sequence is imported statically; this is for tests and tools). */
export const migrationsDirectory = fileURLToPath(new URL("./migrations", import.meta.url))

/** Applies every pending migration; returns the `[id, name]` pairs it applied. */
export const runMigrations = PgMigrator.run({
  loader: Migrator.fromRecord(migrationSequence)
}).pipe(Effect.withSpan("Migrations.run"))
