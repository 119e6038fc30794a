/**
 * The embedded PostgreSQL: a real server from the npm registry, initialised in an empty data
 * directory on first use and reused after, migrated on start, the same engine as production
 * (LISTEN/NOTIFY, advisory locks, SKIP LOCKED), and never outliving its program, whether the
 * program stops or is killed.
 */
import { allExternal, Infrastructure } from "@cuebx/config"
import { captureLogs, spawnProgram } from "@cuebx/testing"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Schedule, Scope, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { announce, ChangeFeed } from "../src/ChangeFeed.ts"
import { migrationsDirectory } from "../src/Migrations.ts"
import { ProgramDatabase } from "../src/ProgramDatabase.ts"

/** The pids of every process whose command line mentions `text`. */
const processesMentioning = (text: string) =>
  Effect.sync(() =>
    readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)
      } catch {
        return false
      }
    })
  )

const noneLeft = (text: string) =>
  processesMentioning(text).pipe(
    Effect.repeat({ until: (pids) => pids.length === 0, schedule: Schedule.spaced("100 millis") }),
    Effect.timeout("40 seconds")
  )

/** The embedded database of a program whose data directory is `dataDirectory`, with the change feed. */
const embedded = (dataDirectory: string, logs: ReturnType<typeof captureLogs>) =>
  ChangeFeed.layer.pipe(
    Layer.provideMerge(ProgramDatabase),
    Layer.provide(NodeServices.layer),
    Layer.provide(Layer.succeed(Infrastructure, { ...allExternal, database: "embedded" })),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ CUEBX_DATA_DIR: dataDirectory }))),
    Layer.provide(logs.layer)
  )

const migrationCount = readdirSync(migrationsDirectory).filter((file) => file.endsWith(".ts")).length

describe("the embedded PostgreSQL", () => {
  it.live(
    "starts on an empty directory, migrated, the same engine; restarts on its data; never outlives its program",
    () =>
      Effect.gen(function*() {
        const dataDirectory = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const directory = mkdtempSync(join(tmpdir(), "cuebx-embedded-"))
            // As root, the server runs as the postgres account, which must reach the directory.
            chmodSync(directory, 0o755)
            return directory
          }),
          (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
        )
        const postgresDirectory = join(dataDirectory, "postgres")

        // First start: a new cluster, migrated.
        const logs = captureLogs()
        const first = yield* Scope.make()
        const context = yield* Layer.buildWithScope(embedded(dataDirectory, logs), first)
        yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const [version] = yield* sql<
            { readonly version: string }
          >`SELECT current_setting('server_version') AS version`
          assert.match(version!.version, /^18\./)
          const applied = yield* sql<{ readonly id: number }>`SELECT migration_id AS id FROM effect_sql_migrations`
          assert.lengthOf(applied, migrationCount)

          // LISTEN/NOTIFY, through the change feed.
          const feed = yield* ChangeFeed
          const changes = yield* feed.subscribe
          const received = yield* changes.pipe(
            Stream.filter((event) => event._tag === "Changed"),
            Stream.runHead,
            Effect.forkScoped
          )
          yield* sql.withTransaction(announce("probe", "1")).pipe(
            Effect.repeat({ until: () => received.pollUnsafe() !== undefined, schedule: Schedule.spaced("50 millis") }),
            Effect.timeout("10 seconds")
          )

          // Advisory locks and SKIP LOCKED.
          const [lock] = yield* sql<{ readonly locked: boolean }>`SELECT pg_try_advisory_lock(42) AS locked`
          assert.isTrue(lock!.locked)
          yield* sql`CREATE TABLE kept (n int PRIMARY KEY)`
          yield* sql`INSERT INTO kept VALUES (1), (2)`
          const skipped = yield* sql.withTransaction(Effect.gen(function*() {
            yield* sql`SELECT n FROM kept WHERE n = 1 FOR UPDATE`
            return yield* sql`SELECT n FROM kept FOR UPDATE SKIP LOCKED`
          }))
          assert.strictEqual(skipped.length, 2)
        }).pipe(Effect.provide(context), Effect.scoped)
        assert.isTrue(logs.lines.some((line) => String(line.message).includes("created a new cluster")))
        const [serverPid] = readFileSync(join(postgresDirectory, "postmaster.pid"), "utf8").split("\n")
        yield* Scope.close(first, Exit.void)
        yield* noneLeft(postgresDirectory)
        assert.throws(() => process.kill(Number(serverPid), 0))

        // A program killed outright: its watchdog stops the server.
        const doomed = yield* spawnProgram("packages/db/test/support/EmbeddedServer.ts", {
          CUEBX_DATA_DIR: dataDirectory,
          PATH: process.env["PATH"] ?? ""
        })
        yield* doomed.waitForOutput("serving", "30 seconds")
        assert.isNotEmpty(yield* processesMentioning(postgresDirectory))
        doomed.process.kill("SIGKILL")
        yield* noneLeft(postgresDirectory)

        // A second start reuses the data: no new cluster, the table is still there.
        const again = captureLogs()
        const rows = yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          return yield* sql<{ readonly n: number }>`SELECT n FROM kept ORDER BY n`
        }).pipe(Effect.provide(embedded(dataDirectory, again)), Effect.scoped)
        assert.deepStrictEqual(rows.map((row) => row.n), [1, 2])
        assert.isFalse(again.lines.some((line) => String(line.message).includes("created a new cluster")))
        yield* noneLeft(postgresDirectory)
      }).pipe(Effect.scoped),
    120_000
  )
})
