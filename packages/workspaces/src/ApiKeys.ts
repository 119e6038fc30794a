/**
 * API keys of a workspace: created with the secret shown once (CueBX stores only its HMAC, as
 * the reference did, so its keys keep validating), listed with their state, revoked at once.
 * `verify` is the lookup the usage API authenticates with; `last_used_at` is recorded through
 * `ApiKeyUsage`, which coalesces the writes.
 */
import { type ApiKeyResponse, type Forbidden, NotFound } from "@cuebx/contract"
import { Clock, Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { createHmac, randomBytes } from "node:crypto"
import { WorkspaceAccess } from "./WorkspaceAccess.ts"
import { WorkspaceSettings } from "./WorkspaceSettings.ts"

export interface ApiKey {
  readonly id: string
  readonly workspaceId: string
  readonly name: string
  readonly keyPrefix: string
  readonly isActive: boolean
  readonly isTestKey: boolean
  readonly createdAt: Date
  readonly expiresAt: Date | null
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

export const apiKeyMessages = {
  created: "Store this API key securely. It will not be shown again.",
  revoked: "API key revoked.",
  notFound: "API key not found."
} as const

const livePrefix = "cbx_live_"
const testPrefix = "cbx_test_"
const visibleTokenCharacters = 5
const defaultExpiryDays = 90

/** Usable now: not revoked, not expired. */
export const isUsable = (key: ApiKey, now: Date): boolean =>
  key.isActive && key.revokedAt === null && (key.expiresAt === null || key.expiresAt.getTime() > now.getTime())

export const apiKeyResponse = (key: ApiKey, now: Date): ApiKeyResponse => ({
  id: key.id,
  name: key.name,
  key_prefix: key.keyPrefix,
  is_active: isUsable(key, now),
  is_test_key: key.isTestKey,
  created_at: key.createdAt.toISOString(),
  expires_at: key.expiresAt?.toISOString() ?? null,
  last_used_at: key.lastUsedAt?.toISOString() ?? null,
  revoked_at: key.revokedAt?.toISOString() ?? null
})

export interface CreatedApiKey {
  /** The whole key: shown once, never stored. */
  readonly secret: string
  readonly key: ApiKeyResponse
}

export class ApiKeys extends Context.Service<ApiKeys, {
  create(
    userId: string,
    workspaceId: string,
    input: { readonly name: string; readonly expiresInDays: number | null | undefined; readonly isTestKey: boolean }
  ): Effect.Effect<CreatedApiKey, NotFound | Forbidden>
  list(userId: string, workspaceId: string): Effect.Effect<ReadonlyArray<ApiKeyResponse>, NotFound | Forbidden>
  revoke(userId: string, workspaceId: string, keyId: string): Effect.Effect<void, NotFound | Forbidden>
  /** The usable key a raw secret belongs to, if any (one indexed lookup by its hash). */
  verify(secret: string): Effect.Effect<ApiKey | undefined>
}>()("@cuebx/workspaces/ApiKeys") {
  static readonly layer = Layer.effect(
    ApiKeys,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const access = yield* WorkspaceAccess
      const settings = yield* WorkspaceSettings
      const hmacKey = Redacted.value(settings.tokenSecret)
      const hashSecret = (secret: string) => createHmac("sha256", hmacKey).update(secret).digest("hex")
      const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

      const create = Effect.fn("ApiKeys.create")(function*(
        userId: string,
        workspaceId: string,
        input: { readonly name: string; readonly expiresInDays: number | null | undefined; readonly isTestKey: boolean }
      ) {
        const prefix = input.isTestKey ? testPrefix : livePrefix
        const token = randomBytes(32).toString("base64url")
        const secret = `${prefix}${token}`
        const days = input.expiresInDays === undefined ? defaultExpiryDays : input.expiresInDays
        const key = yield* sql.withTransaction(Effect.gen(function*() {
          yield* access.authorizeChange(userId, workspaceId, "createApiKey")
          const [row] = yield* sql<ApiKey>`
            INSERT INTO api_keys (workspace_id, created_by_id, name, key_hash, key_prefix, expires_at, is_test_key)
            VALUES (${workspaceId}, ${userId}, ${input.name}, ${hashSecret(secret)},
              ${prefix + token.slice(0, visibleTokenCharacters)},
              ${days === null ? null : sql`now() + make_interval(days => ${days})`}, ${input.isTestKey})
            RETURNING *`
          return row!
        })).pipe(Effect.catchTag("SqlError", Effect.die))
        return { secret, key: apiKeyResponse(key, key.createdAt) }
      })

      return ApiKeys.of({
        create,
        list: Effect.fn("ApiKeys.list")(function*(userId, workspaceId) {
          yield* access.authorize(userId, workspaceId, "listApiKeys")
          const keys = yield* sql<ApiKey>`
            SELECT * FROM api_keys WHERE workspace_id = ${workspaceId} AND NOT is_deleted
            ORDER BY created_at DESC, id`.pipe(Effect.orDie)
          const at = yield* now
          return keys.map((key) => apiKeyResponse(key, at))
        }),
        revoke: Effect.fn("ApiKeys.revoke")(function*(userId, workspaceId, keyId) {
          yield* sql.withTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "revokeApiKey")
            const [key] = yield* sql<{ readonly id: string }>`
              SELECT id FROM api_keys WHERE id = ${keyId} AND workspace_id = ${workspaceId} AND NOT is_deleted`
            if (key === undefined) return yield* new NotFound({ detail: apiKeyMessages.notFound })
            yield* sql`
              UPDATE api_keys SET is_active = false, revoked_at = COALESCE(revoked_at, now())
              WHERE id = ${keyId}`
          })).pipe(Effect.catchTag("SqlError", Effect.die))
        }),
        verify: Effect.fn("ApiKeys.verify")(function*(secret: string) {
          if (!secret.startsWith(livePrefix) && !secret.startsWith(testPrefix)) return undefined
          const [key] = yield* sql<ApiKey>`
            SELECT k.* FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id AND NOT w.is_deleted
            WHERE k.key_hash = ${hashSecret(secret)} AND NOT k.is_deleted`.pipe(Effect.orDie)
          return key !== undefined && isUsable(key, yield* now) ? key : undefined
        })
      })
    })
  )
}
