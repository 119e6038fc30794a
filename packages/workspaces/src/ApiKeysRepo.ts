/**
 * The only SQL on `api_keys`, every row decoded. Times are the caller's (the application's
 * `Clock`), so a key's expiry is set and checked against one clock.
 */
import { TimestampColumn } from "@cuebx/db"
import { Context, type DateTime, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient, type SqlError, SqlSchema } from "effect/sql"

export const ApiKey = Schema.Struct({
  id: Schema.String,
  workspaceId: Schema.String,
  name: Schema.String,
  keyPrefix: Schema.String,
  isActive: Schema.Boolean,
  isTestKey: Schema.Boolean,
  createdAt: TimestampColumn,
  expiresAt: Schema.NullOr(TimestampColumn),
  lastUsedAt: Schema.NullOr(TimestampColumn),
  revokedAt: Schema.NullOr(TimestampColumn)
})
export type ApiKey = typeof ApiKey.Type

const NewApiKey = Schema.Struct({
  workspaceId: Schema.String,
  createdById: Schema.String,
  name: Schema.String,
  keyHash: Schema.String,
  keyPrefix: Schema.String,
  isTestKey: Schema.Boolean,
  createdAt: TimestampColumn,
  expiresAt: Schema.NullOr(TimestampColumn)
})

const KeyInWorkspace = Schema.Struct({ workspaceId: Schema.String, id: Schema.String })

export class ApiKeysRepo extends Context.Service<ApiKeysRepo, {
  create(input: typeof NewApiKey.Type): Effect.Effect<ApiKey>
  /** The workspace's keys, revoked and expired ones included, newest first. */
  list(workspaceId: string): Effect.Effect<ReadonlyArray<ApiKey>>
  find(workspaceId: string, id: string): Effect.Effect<Option.Option<ApiKey>>
  /** Deactivates the key; a key revoked before keeps its first revocation time. */
  revoke(id: string, at: DateTime.Utc): Effect.Effect<void>
  /** The key with this hash, if neither it nor its workspace is deleted. */
  findByHash(keyHash: string): Effect.Effect<Option.Option<ApiKey>>
  /**
   * Sets `last_used_at` of each key to its time, unless a later use is recorded already. Fails
   * with the database's error, so the caller can keep the uses for another try.
   */
  recordUses(uses: ReadonlyMap<string, DateTime.Utc>): Effect.Effect<void, SqlError.SqlError>
}>()("@cuebx/workspaces/ApiKeysRepo") {
  static readonly layer = Layer.effect(
    ApiKeysRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const insert = SqlSchema.findOne({
        Request: NewApiKey,
        Result: ApiKey,
        execute: (row) => sql`INSERT INTO api_keys ${sql.insert(row)} RETURNING *`
      })
      const ofWorkspace = SqlSchema.findAll({
        Request: Schema.String,
        Result: ApiKey,
        execute: (workspaceId) =>
          sql`SELECT * FROM api_keys WHERE workspace_id = ${workspaceId} AND NOT is_deleted ORDER BY created_at DESC, id`
      })
      const byId = SqlSchema.findOneOption({
        Request: KeyInWorkspace,
        Result: ApiKey,
        execute: ({ id, workspaceId }) =>
          sql`SELECT * FROM api_keys WHERE id = ${id} AND workspace_id = ${workspaceId} AND NOT is_deleted`
      })
      const deactivate = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, at: TimestampColumn }),
        execute: ({ at, id }) =>
          sql`UPDATE api_keys SET is_active = false, revoked_at = COALESCE(revoked_at, ${at}) WHERE id = ${id}`
      })
      const byHash = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: ApiKey,
        execute: (keyHash) =>
          sql`
            SELECT k.* FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id AND NOT w.is_deleted
            WHERE k.key_hash = ${keyHash} AND NOT k.is_deleted`
      })
      const touch = SqlSchema.void({
        Request: Schema.fromJsonString(
          Schema.Array(Schema.Struct({ id: Schema.String, usedAt: Schema.DateTimeUtcFromString }))
        ),
        execute: (uses) =>
          sql`
            UPDATE api_keys k SET last_used_at = v."usedAt"
            FROM jsonb_to_recordset(${uses}::jsonb) AS v(id uuid, "usedAt" timestamptz)
            WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v."usedAt")`
      })

      return ApiKeysRepo.of({
        create: Effect.fn("ApiKeysRepo.create")(function*(input) {
          return yield* insert(input)
        }, Effect.orDie),
        list: Effect.fn("ApiKeysRepo.list")(function*(workspaceId) {
          return yield* ofWorkspace(workspaceId)
        }, Effect.orDie),
        find: Effect.fn("ApiKeysRepo.find")(function*(workspaceId, id) {
          return yield* byId({ workspaceId, id })
        }, Effect.orDie),
        revoke: Effect.fn("ApiKeysRepo.revoke")(function*(id, at) {
          yield* deactivate({ id, at })
        }, Effect.orDie),
        findByHash: Effect.fn("ApiKeysRepo.findByHash")(function*(keyHash) {
          return yield* byHash(keyHash)
        }, Effect.orDie),
        recordUses: Effect.fn("ApiKeysRepo.recordUses")(function*(uses) {
          yield* touch([...uses].map(([id, usedAt]) => ({ id, usedAt })))
        }, Effect.catchTag("SchemaError", Effect.die))
      })
    })
  )
}
