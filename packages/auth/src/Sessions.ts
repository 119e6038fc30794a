/**
 * Sessions and their tokens. A session is one sign-in on one device; its refresh token is an
 * opaque random value stored only as a SHA-256 hash, rotated on every use (RFC 9700): the token
 * presented is revoked and a new one issued. Presenting it again within the grace period (two
 * tabs refreshing at once) returns the same new pair; later, it is a reuse and the whole session
 * is revoked. `AUTH_REFRESH_ROTATION=false` keeps the reference's non-rotating tokens.
 */
import { MessageSecrets } from "@cuebx/broker"
import { Context, Data, Duration, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { createHash, randomBytes } from "node:crypto"
import { AccessTokens } from "./AccessTokens.ts"
import { AuthSettings } from "./AuthSettings.ts"

export interface TokenPair {
  readonly accessToken: string
  readonly refreshToken: string
  readonly expiresIn: number
}

export interface RefreshedTokens {
  readonly accessToken: string
  /** Absent when rotation is off. */
  readonly refreshToken?: string
  readonly expiresIn: number
}

export interface SessionView {
  readonly id: string
  readonly deviceInfo: string | null
  readonly createdAt: Date
  readonly expiresAt: Date
}

export class RefreshRejected extends Data.TaggedError("RefreshRejected")<{
  readonly detail: "Invalid or expired refresh token" | "User account is not active"
}> {}

export const hashRefreshToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex")
const rejected = (detail: RefreshRejected["detail"]) => Effect.fail(new RefreshRejected({ detail }))

const newRefreshToken = () => randomBytes(48).toString("base64url")

const SealedPair = Schema.fromJsonString(Schema.Struct({
  accessToken: Schema.String,
  refreshToken: Schema.String,
  expiresIn: Schema.Number
}))

interface PresentedToken {
  readonly id: string
  readonly sessionId: string
  readonly userId: string
  readonly expiresAt: Date
  readonly revokedAt: Date | null
  readonly rotatedAt: Date | null
  readonly replacementSealed: string | null
  readonly sessionRevokedAt: Date | null
  readonly sessionExpiresAt: Date
  readonly email: string
  readonly isActive: boolean
  readonly isDeleted: boolean
}

export class Sessions extends Context.Service<Sessions, {
  start(
    user: { readonly id: string; readonly email: string },
    options: { readonly rememberMe: boolean; readonly deviceInfo: string | null; readonly ipAddress: string | null }
  ): Effect.Effect<TokenPair>
  refresh(refreshToken: string): Effect.Effect<RefreshedTokens, RefreshRejected>
  /** Revokes the session of a refresh token; false when it was unknown or already revoked. */
  signOut(refreshToken: string): Effect.Effect<boolean>
  /** Revokes every live session of the user but `except`; returns how many. */
  revokeAll(userId: string, reason: string, except?: string | null): Effect.Effect<number>
  revoke(userId: string, sessionId: string): Effect.Effect<boolean>
  list(userId: string): Effect.Effect<ReadonlyArray<SessionView>>
  /** The session a refresh token belongs to, if it is the user's. */
  sessionOf(userId: string, refreshToken: string): Effect.Effect<string | undefined>
  /** Whether a session can still be used (not revoked, not expired). */
  isLive(sessionId: string): Effect.Effect<boolean>
}>()("@cuebx/auth/Sessions") {
  static readonly layer = Layer.effect(
    Sessions,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const tokens = yield* AccessTokens
      const secrets = yield* MessageSecrets
      const settings = yield* AuthSettings
      const graceMillis = Duration.toMillis(settings.refreshReuseGrace)

      const insertRefreshToken = (sessionId: string, userId: string, expiresAt: Date) =>
        Effect.gen(function*() {
          const token = newRefreshToken()
          const [row] = yield* sql<{ readonly id: string }>`
            INSERT INTO refresh_tokens (user_id, session_id, token_hash, expires_at)
            VALUES (${userId}, ${sessionId}, ${hashRefreshToken(token)}, ${expiresAt})
            RETURNING id`
          return { id: row!.id, token }
        })

      const start = Effect.fn("Sessions.start")(function*(
        user: { readonly id: string; readonly email: string },
        options: { readonly rememberMe: boolean; readonly deviceInfo: string | null; readonly ipAddress: string | null }
      ) {
        const ttl = options.rememberMe ? settings.rememberMeRefreshTokenTtl : settings.refreshTokenTtl
        const expiresAt = new Date(Date.now() + Duration.toMillis(ttl))
        return yield* sql.withTransaction(Effect.gen(function*() {
          const [session] = yield* sql<{ readonly id: string }>`
            INSERT INTO user_sessions (user_id, device_info, ip_address, expires_at)
            VALUES (${user.id}, ${options.deviceInfo}, ${options.ipAddress}, ${expiresAt})
            RETURNING id`
          const refresh = yield* insertRefreshToken(session!.id, user.id, expiresAt)
          const accessToken = yield* tokens.issue({ userId: user.id, email: user.email, sessionId: session!.id })
          return { accessToken, refreshToken: refresh.token, expiresIn: tokens.ttlSeconds }
        }))
      }, Effect.orDie)

      const revokeSession = (sessionId: string, reason: string) =>
        Effect.gen(function*() {
          yield* sql`
            UPDATE user_sessions SET revoked_at = now(), revoke_reason = ${reason}
            WHERE id = ${sessionId} AND revoked_at IS NULL`
          yield* sql`UPDATE refresh_tokens SET revoked_at = now() WHERE session_id = ${sessionId} AND revoked_at IS NULL`
        })

      const refresh = Effect.fn("Sessions.refresh")(function*(refreshToken: string) {
        const outcome = yield* sql.withTransaction(Effect.gen(function*() {
          const [presented] = yield* sql<PresentedToken>`
            SELECT t.id, t.session_id, t.user_id, t.expires_at, t.revoked_at, t.rotated_at, t.replacement_sealed,
                   s.revoked_at AS session_revoked_at, s.expires_at AS session_expires_at,
                   u.email, u.is_active, u.is_deleted
            FROM refresh_tokens t
            JOIN user_sessions s ON s.id = t.session_id
            JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = ${hashRefreshToken(refreshToken)} AND NOT t.is_deleted
            FOR UPDATE OF t`
          const now = Date.now()
          if (presented === undefined || presented.sessionRevokedAt !== null || presented.expiresAt.getTime() <= now) {
            return { _tag: "Rejected", detail: "Invalid or expired refresh token" } as const
          }
          if (!presented.isActive || presented.isDeleted) {
            return { _tag: "Rejected", detail: "User account is not active" } as const
          }
          if (presented.revokedAt !== null) {
            const withinGrace = presented.rotatedAt !== null && now - presented.rotatedAt.getTime() <= graceMillis
            if (withinGrace && presented.replacementSealed !== null) {
              const opened = yield* secrets.open(presented.replacementSealed).pipe(Effect.orDie)
              return {
                _tag: "Refreshed",
                tokens: yield* Schema.decodeEffect(SealedPair)(opened).pipe(Effect.orDie)
              } as const
            }
            if (presented.rotatedAt !== null) {
              yield* revokeSession(presented.sessionId, "refresh_token_reuse")
              return { _tag: "Reused", sessionId: presented.sessionId, userId: presented.userId } as const
            }
            return { _tag: "Rejected", detail: "Invalid or expired refresh token" } as const
          }
          yield* sql`UPDATE user_sessions SET last_used_at = now() WHERE id = ${presented.sessionId}`
          const accessToken = yield* tokens.issue({
            userId: presented.userId,
            email: presented.email,
            sessionId: presented.sessionId
          })
          if (!settings.refreshRotation) {
            return { _tag: "Refreshed", tokens: { accessToken, expiresIn: tokens.ttlSeconds } } as const
          }
          const next = yield* insertRefreshToken(presented.sessionId, presented.userId, presented.sessionExpiresAt)
          const pair = { accessToken, refreshToken: next.token, expiresIn: tokens.ttlSeconds }
          yield* sql`
            UPDATE refresh_tokens SET revoked_at = now(), rotated_at = now(), replaced_by_id = ${next.id},
                   replacement_sealed = ${secrets.seal(JSON.stringify(pair))}
            WHERE id = ${presented.id}`
          return { _tag: "Refreshed", tokens: pair } as const
        })).pipe(Effect.orDie)

        switch (outcome._tag) {
          case "Refreshed":
            return outcome.tokens as RefreshedTokens
          case "Reused":
            yield* Effect.logWarning("Refresh token reused after rotation; the session is revoked", {
              session_id: outcome.sessionId,
              user_id: outcome.userId
            })
            return yield* rejected("Invalid or expired refresh token")
          case "Rejected":
            return yield* rejected(outcome.detail)
        }
      })

      const signOut = Effect.fn("Sessions.signOut")(function*(refreshToken: string) {
        return yield* sql.withTransaction(Effect.gen(function*() {
          const [token] = yield* sql<{ readonly sessionId: string; readonly revokedAt: Date | null }>`
            SELECT session_id, revoked_at FROM refresh_tokens WHERE token_hash = ${hashRefreshToken(refreshToken)}`
          if (token === undefined || token.revokedAt !== null) return false
          yield* revokeSession(token.sessionId, "signout")
          return true
        }))
      }, Effect.orDie)

      const revokeAll = Effect.fn("Sessions.revokeAll")(
        function*(userId: string, reason: string, except?: string | null) {
          return yield* sql.withTransaction(Effect.gen(function*() {
            const revoked = yield* sql<{ readonly id: string }>`
            UPDATE user_sessions SET revoked_at = now(), revoke_reason = ${reason}
            WHERE user_id = ${userId} AND revoked_at IS NULL AND expires_at > now()
              AND (${except ?? null}::uuid IS NULL OR id <> ${except ?? null}::uuid)
            RETURNING id`
            yield* sql`
            UPDATE refresh_tokens SET revoked_at = now()
            WHERE user_id = ${userId} AND revoked_at IS NULL
              AND (${except ?? null}::uuid IS NULL OR session_id <> ${except ?? null}::uuid)`
            return revoked.length
          }))
        },
        Effect.orDie
      )

      const revoke = Effect.fn("Sessions.revoke")(function*(userId: string, sessionId: string) {
        if (!/^[0-9a-f-]{36}$/i.test(sessionId)) return false
        return yield* sql.withTransaction(Effect.gen(function*() {
          const [session] = yield* sql<{ readonly id: string }>`
            SELECT id FROM user_sessions
            WHERE id = ${sessionId} AND user_id = ${userId} AND revoked_at IS NULL AND expires_at > now()`
          if (session === undefined) return false
          yield* revokeSession(sessionId, "signout")
          return true
        }))
      }, Effect.orDie)

      const list = Effect.fn("Sessions.list")(function*(userId: string) {
        return yield* sql<SessionView>`
          SELECT id, device_info, created_at, expires_at FROM user_sessions
          WHERE user_id = ${userId} AND revoked_at IS NULL AND expires_at > now()
          ORDER BY last_used_at DESC, created_at DESC`
      }, Effect.orDie)

      const sessionOf = Effect.fn("Sessions.sessionOf")(function*(userId: string, refreshToken: string) {
        const [row] = yield* sql<{ readonly sessionId: string }>`
          SELECT session_id FROM refresh_tokens WHERE token_hash = ${
          hashRefreshToken(refreshToken)
        } AND user_id = ${userId}`
        return row?.sessionId
      }, Effect.orDie)

      const isLive = (sessionId: string) =>
        sql<{ readonly id: string }>`
          SELECT id FROM user_sessions WHERE id = ${sessionId} AND revoked_at IS NULL AND expires_at > now()`.pipe(
          Effect.map((rows) => rows.length === 1),
          Effect.orDie
        )

      return Sessions.of({ start, refresh, signOut, revokeAll, revoke, list, sessionOf, isLive })
    })
  )
}

/** Deletes expired refresh tokens and sessions and forgets sealed replacements past their grace. */
export const cleanupExpiredSessions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE refresh_tokens SET replacement_sealed = NULL WHERE replacement_sealed IS NOT NULL AND rotated_at < now() - interval '5 minutes'`
  const tokens = yield* sql`DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day' RETURNING id`
  const sessions = yield* sql`DELETE FROM user_sessions WHERE expires_at < now() - interval '1 day' RETURNING id`
  const codes = yield* sql`DELETE FROM otp_tokens WHERE expires_at < now() - interval '1 day' RETURNING id`
  yield* Effect.logInfo("Expired sessions cleaned", {
    tokens: tokens.length,
    sessions: sessions.length,
    codes: codes.length
  })
})
