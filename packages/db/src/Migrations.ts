/**
 * The one ordered migration sequence of CueBX (`migrations/NNNN_<domain>_<change>.ts`), run by
 * Effect's Migrator. Only ids above the highest applied one run, so never add a lower number.
 * Reading the directory needs the platform's file system, which the program (or test) running
 * the migrations provides.
 */
import { PgMigrator } from "@effect/sql-pg"
import { Effect } from "effect"
import * as MigratorFileSystem from "effect/sql/MigratorFileSystem"
import { fileURLToPath } from "node:url"

export const migrationsDirectory = fileURLToPath(new URL("./migrations", import.meta.url))

/** Applies every pending migration; returns the `[id, name]` pairs it applied. */
export const runMigrations = PgMigrator.run({
  loader: MigratorFileSystem.fromFileSystem(migrationsDirectory)
}).pipe(Effect.withSpan("Migrations.run"))
