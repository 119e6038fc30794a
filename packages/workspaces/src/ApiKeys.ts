/**
 * API keys of a workspace: created with the secret shown once (CueBX stores only its HMAC, as
 * the reference did, so its keys keep validating), listed with their state, revoked at once.
 * `verify` is the lookup the usage API authenticates with; `last_used_at` is recorded through
 * `ApiKeyUsage`, which coalesces the writes. Every time here comes from the `Clock`.
 */
import { hmacHex } from "@cuebx/config"
import { announce, isUuid, transactionWith } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, Option, type Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { randomBytes } from "node:crypto"
import { type ApiKey, ApiKeysRepo } from "./ApiKeysRepo.ts"
import { type AccessDenied, WorkspaceAccess } from "./WorkspaceAccess.ts"
import { WorkspaceSettings } from "./WorkspaceSettings.ts"

const livePrefix = "cbx_live_"
const testPrefix = "cbx_test_"
const visibleTokenCharacters = 5
const defaultExpiryDays = 90

export class ApiKeyNotFound extends Schema.TaggedError<ApiKeyNotFound>()("ApiKeyNotFound", {
  workspaceId: Schema.String,
  apiKeyId: Schema.String
}) {}

/** How a key is stored: the HMAC of the whole key under `OTP_HMAC_SECRET`, as the reference stored it. */
export const apiKeyHash = (hmacSecret: Redacted.Redacted<string>, secret: string): string => hmacHex(hmacSecret, secret)

/** Usable at `now`: not revoked, not expired. */
export const isUsable = (key: ApiKey, now: DateTime.Utc): boolean =>
  key.isActive && key.revokedAt === null && (key.expiresAt === null || DateTime.isGreaterThan(key.expiresAt, now))

/** A key with whether it is usable at the time it was listed. */
export interface ListedApiKey {
  readonly key: ApiKey
  readonly usable: boolean
}

export interface CreatedApiKey {
  /** The whole key: shown once, never stored. */
  readonly secret: string
  readonly key: ListedApiKey
}

export class ApiKeys extends Context.Service<ApiKeys, {
  create(
    userId: string,
    workspaceId: string,
    input: { readonly name: string; readonly expiresInDays: number | null | undefined; readonly isTestKey: boolean }
  ): Effect.Effect<CreatedApiKey, AccessDenied>
  list(userId: string, workspaceId: string): Effect.Effect<ReadonlyArray<ListedApiKey>, AccessDenied>
  /** Revoking a revoked key again changes nothing. */
  revoke(userId: string, workspaceId: string, keyId: string): Effect.Effect<void, AccessDenied | ApiKeyNotFound>
  /**
   * An operator's revocation (the admin panel): no member's authority needed; returns the key
   * before and after. Run it in the transaction that audits it.
   */
  revokeByOperator(
    workspaceId: string,
    keyId: string
  ): Effect.Effect<{ readonly before: ApiKey; readonly after: ApiKey }, ApiKeyNotFound>
  /** The usable key a raw secret belongs to, in a workspace not deleted (one indexed lookup by its hash). */
  verify(secret: string): Effect.Effect<Option.Option<ApiKey>>
  /** The key a raw secret belongs to, in a workspace not deleted, whatever its state (`isUsable` tells). */
  lookup(secret: string): Effect.Effect<Option.Option<ApiKey>>
}>()("@cuebx/workspaces/ApiKeys") {
  static readonly layer = Layer.effect(
    ApiKeys,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const inTransaction = transactionWith(sql)
      const repo = yield* ApiKeysRepo
      const access = yield* WorkspaceAccess
      const settings = yield* WorkspaceSettings
      const hashSecret = (secret: string) => apiKeyHash(settings.tokenSecret, secret)

      return ApiKeys.of({
        create: Effect.fn("ApiKeys.create")(function*(userId, workspaceId, input) {
          const prefix = input.isTestKey ? testPrefix : livePrefix
          const token = randomBytes(32).toString("base64url")
          const secret = `${prefix}${token}`
          const days = input.expiresInDays === undefined ? defaultExpiryDays : input.expiresInDays
          const now = yield* DateTime.now
          const key = yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "createApiKey")
            return yield* repo.create({
              workspaceId,
              createdById: userId,
              name: input.name,
              keyHash: hashSecret(secret),
              keyPrefix: prefix + token.slice(0, visibleTokenCharacters),
              isTestKey: input.isTestKey,
              createdAt: now,
              expiresAt: days === null ? null : DateTime.add(now, { days })
            })
          }))
          return { secret, key: { key, usable: isUsable(key, now) } }
        }),
        list: Effect.fn("ApiKeys.list")(function*(userId, workspaceId) {
          yield* access.authorize(userId, workspaceId, "listApiKeys")
          const keys = yield* repo.list(workspaceId)
          const now = yield* DateTime.now
          return keys.map((key) => ({ key, usable: isUsable(key, now) }))
        }),
        revoke: Effect.fn("ApiKeys.revoke")(function*(userId, workspaceId, keyId) {
          yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "revokeApiKey")
            const key = yield* repo.find(workspaceId, keyId)
            if (Option.isNone(key)) return yield* new ApiKeyNotFound({ workspaceId, apiKeyId: keyId })
            yield* repo.revoke(keyId, yield* DateTime.now)
            // Processes that cache keys (usage) drop this one as soon as the revocation commits.
            yield* announce("api_key", keyId).pipe(Effect.provideService(SqlClient.SqlClient, sql))
          }))
        }),
        revokeByOperator: Effect.fn("ApiKeys.revokeByOperator")(function*(workspaceId: string, keyId: string) {
          const notFound = new ApiKeyNotFound({ workspaceId, apiKeyId: keyId })
          if (!isUuid(workspaceId) || !isUuid(keyId)) return yield* notFound
          return yield* inTransaction(Effect.gen(function*() {
            const before = yield* repo.find(workspaceId, keyId)
            if (Option.isNone(before)) return yield* notFound
            yield* repo.revoke(keyId, yield* DateTime.now)
            yield* announce("api_key", keyId).pipe(Effect.provideService(SqlClient.SqlClient, sql))
            const after = yield* repo.find(workspaceId, keyId)
            return { before: before.value, after: Option.getOrElse(after, () => before.value) }
          }))
        }),
        verify: Effect.fn("ApiKeys.verify")(function*(secret: string) {
          if (!secret.startsWith(livePrefix) && !secret.startsWith(testPrefix)) return Option.none()
          const key = yield* repo.findByHash(hashSecret(secret))
          const now = yield* DateTime.now
          return Option.filter(key, (found) => isUsable(found, now))
        }),
        lookup: Effect.fn("ApiKeys.lookup")(function*(secret: string) {
          if (!secret.startsWith(livePrefix) && !secret.startsWith(testPrefix)) return Option.none()
          return yield* repo.findByHash(hashSecret(secret))
        })
      })
    })
  )
}
