import { TestEnvironment, TestInfra } from "@cuebx/testing"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { readdirSync } from "node:fs"
import { DatabaseLive, dropDatabase, ensureDatabase, pingDatabase, splitDatabaseUrl } from "../src/Database.ts"
import { migrationsDirectory, runMigrations } from "../src/Migrations.ts"
import { migrationSequence } from "../src/MigrationSequence.ts"

describe("the migration sequence", () => {
  const files = readdirSync(migrationsDirectory).filter((file) => file.endsWith(".ts")).toSorted()

  it("is imported whole by the sequence the programs run", () => {
    assert.deepStrictEqual(Object.keys(migrationSequence), files.map((file) => file.replace(/\.ts$/, "")))
  })

  it("is one contiguous, well-named sequence", () => {
    assert.isAbove(files.length, 0)
    files.forEach((file, index) => {
      assert.match(file, /^\d{4}_[a-z]+_[a-z0-9_]+\.ts$/, `${file} is not named NNNN_<domain>_<change>.ts`)
      assert.strictEqual(Number(file.slice(0, 4)), index + 1, `${file} breaks the sequence`)
    })
  })
})

layer(Layer.mergeAll(DatabaseLive, NodeServices.layer).pipe(Layer.provideMerge(TestInfra.layer())))(
  "a migrated test database",
  (it) => {
    it.effect("has every migration applied, and a second run applies none", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const applied = yield* sql<
          { readonly migrationId: number }
        >`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
        const files = readdirSync(migrationsDirectory).filter((file) => file.endsWith(".ts"))
        assert.deepStrictEqual(applied.map((row) => row.migrationId), files.map((_, index) => index + 1))
        assert.deepStrictEqual(yield* runMigrations, [])
      }))

    it.effect("indexes every foreign key, so deletes that cascade or set null never scan a table", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const unindexed = yield* sql<{ readonly tableName: string; readonly columnName: string }>`
          SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
            AND NOT EXISTS (
              SELECT 1 FROM pg_index i
              WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1] AND i.indpred IS NULL
            )
          ORDER BY 1, 2`
        assert.deepStrictEqual(unindexed.map((row) => `${row.tableName}.${row.columnName}`), [])
      }))

    it.effect("answers the health probe", () =>
      Effect.gen(function*() {
        assert.isTrue(yield* pingDatabase)
      }))

    it.effect("maintains updated_at through the shared trigger", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE touch_probe (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT '2000-01-01')`
        yield* sql`CREATE TRIGGER touch BEFORE UPDATE ON touch_probe FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`
        yield* sql`INSERT INTO touch_probe (id) VALUES (1)`
        yield* sql`UPDATE touch_probe SET id = 2`
        const [row] = yield* sql<{ readonly updatedAt: Date }>`SELECT updated_at FROM touch_probe`
        assert.isAbove(row!.updatedAt.getFullYear(), 2000)
      }))
  }
)

layer(TestInfra.layer())("database administration", (it) => {
  it.effect("creates a database once and drops it", () =>
    Effect.gen(function*() {
      const { databaseUrl } = yield* TestEnvironment
      const url = new URL(Redacted.value(databaseUrl))
      url.pathname = `${url.pathname}_extra`
      const extra = Redacted.make(url.toString())
      assert.isTrue(yield* ensureDatabase(extra))
      assert.isFalse(yield* ensureDatabase(extra))
      yield* dropDatabase(extra)
      assert.isTrue(yield* ensureDatabase(extra))
      yield* dropDatabase(extra)
      assert.strictEqual(splitDatabaseUrl(extra).database, url.pathname.slice(1))
    }))
})
