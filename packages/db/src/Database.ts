/**
 * The PostgreSQL client every program shares: one pool configured from `DATABASE_URL`, and the
 * admin helpers the CLI and tests need (create a database, ping). Repositories live in domains.
 */
import { DatabaseUrl } from "@cuebx/config"
import { PgClient } from "@effect/sql-pg"
import { Config, Effect, Layer, Redacted, Schema, String } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const DatabaseSettings = Config.all({
  url: DatabaseUrl,
  maxConnections: Config.Int("DB_POOL_MAX").pipe(Config.withDefault(20)),
  connectTimeoutSeconds: Config.Int("DB_CONNECT_TIMEOUT_SECONDS").pipe(Config.withDefault(10))
})
export type DatabaseSettings = Config.Success<typeof DatabaseSettings>

/**
 * Columns are snake_case and fields camelCase; JSON column contents are left exactly as stored
 * (queue payloads and Stripe objects keep their own key style).
 */
export const layerFromSettings = (settings: DatabaseSettings, applicationName = "cuebx") =>
  PgClient.layer({
    url: settings.url,
    maxConnections: settings.maxConnections,
    connectTimeout: `${settings.connectTimeoutSeconds} seconds`,
    applicationName,
    transformResultNames: String.snakeToCamel,
    transformQueryNames: String.camelToSnake,
    transformJson: false
  })

/** The pool for a program, from configuration. */
export const DatabaseLive = Layer.unwrap(Effect.gen(function*() {
  return layerFromSettings(yield* DatabaseSettings)
}))

/** `SELECT 1`, for health checks. */
export const pingDatabase = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const { ok } = yield* SqlSchema.findOne({
    Request: Schema.Void,
    Result: Schema.Struct({ ok: Schema.Number }),
    execute: () => sql`SELECT 1 AS ok`
  })(undefined).pipe(Effect.catchTag("NoSuchElementError", () => Effect.succeed({ ok: 0 })))
  return ok === 1
})

/** The database name and a URL for the server's `postgres` maintenance database. */
export const splitDatabaseUrl = (url: Redacted.Redacted<string>) => {
  const parsed = new URL(Redacted.value(url))
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""))
  parsed.pathname = "/postgres"
  return { database, maintenanceUrl: Redacted.make(parsed.toString()) }
}

const quoteIdentifier = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

const withMaintenanceClient = <A, E>(
  url: Redacted.Redacted<string>,
  use: (sql: SqlClient.SqlClient, database: string) => Effect.Effect<A, E, SqlClient.SqlClient>
) => {
  const { database, maintenanceUrl } = splitDatabaseUrl(url)
  return Effect.gen(function*() {
    return yield* use(yield* SqlClient.SqlClient, database)
  }).pipe(
    Effect.provide(PgClient.layer({ url: maintenanceUrl, maxConnections: 1, applicationName: "cuebx-admin" }))
  )
}

/** Creates the database of `url` when it does not exist yet. Returns whether it was created. */
export const ensureDatabase = (url: Redacted.Redacted<string>) =>
  withMaintenanceClient(url, (sql, database) =>
    Effect.gen(function*() {
      const existing = yield* sql`SELECT 1 FROM pg_database WHERE datname = ${database}`
      if (existing.length > 0) return false
      yield* sql.unsafe(`CREATE DATABASE ${quoteIdentifier(database)}`).pipe(
        // Another process may have created it between the check and here.
        Effect.catchReason("SqlError", "UniqueViolation", () => Effect.void)
      )
      return true
    }))

/** Drops the database of `url`, disconnecting anyone still connected to it. */
export const dropDatabase = (url: Redacted.Redacted<string>) =>
  withMaintenanceClient(
    url,
    (sql, database) => sql.unsafe(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`)
  )

/** The databases on the server of `url` whose names start with `prefix`. */
export const listDatabases = (url: Redacted.Redacted<string>, prefix: string) =>
  withMaintenanceClient(url, (sql) =>
    SqlSchema.findAll({
      Request: Schema.String,
      Result: Schema.Struct({ datname: Schema.String }),
      execute: (start) => sql`SELECT datname FROM pg_database WHERE starts_with(datname, ${start}) ORDER BY datname`
    })(prefix).pipe(Effect.map((rows) => rows.map((row) => row.datname))))
