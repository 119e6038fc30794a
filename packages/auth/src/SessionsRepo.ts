/**
 * The only SQL on `user_sessions` and `refresh_tokens`, every row decoded on the way in. It
 * decides nothing about time: the instants it stores and filters on are the caller's, read from
 * the application's `Clock`, so one clock decides every expiry.
 */
import { TimestampColumn } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const SessionView = Schema.Struct({
  id: Schema.String,
  deviceInfo: Schema.NullOr(Schema.String),
  createdAt: TimestampColumn,
  expiresAt: TimestampColumn
})
export type SessionView = typeof SessionView.Type

/** A refresh token as presented, with its session and user. */
export const PresentedToken = Schema.Struct({
  id: Schema.String,
  sessionId: Schema.String,
  userId: Schema.String,
  expiresAt: TimestampColumn,
  revokedAt: Schema.NullOr(TimestampColumn),
  rotatedAt: Schema.NullOr(TimestampColumn),
  replacementSealed: Schema.NullOr(Schema.String),
  sessionRevokedAt: Schema.NullOr(TimestampColumn),
  email: Schema.String,
  isActive: Schema.Boolean,
  isDeleted: Schema.Boolean
})
export type PresentedToken = typeof PresentedToken.Type

const Id = Schema.Struct({ id: Schema.String })

const NewSession = Schema.Struct({
  userId: Schema.String,
  deviceInfo: Schema.NullOr(Schema.String),
  ipAddress: Schema.NullOr(Schema.String),
  createdAt: TimestampColumn,
  lastUsedAt: TimestampColumn,
  expiresAt: TimestampColumn
})

const NewRefreshToken = Schema.Struct({
  userId: Schema.String,
  sessionId: Schema.String,
  tokenHash: Schema.String,
  createdAt: TimestampColumn,
  expiresAt: TimestampColumn
})

export class SessionsRepo extends Context.Service<SessionsRepo, {
  insertSession(session: typeof NewSession.Type): Effect.Effect<string>
  insertRefreshToken(token: typeof NewRefreshToken.Type): Effect.Effect<string>
  /** Locks the token's row until the end of the transaction. */
  findPresented(tokenHash: string): Effect.Effect<Option.Option<PresentedToken>>
  touchSession(sessionId: string, now: DateTime.Utc): Effect.Effect<void>
  markRotated(
    rotation: {
      readonly id: string
      readonly replacedById: string
      readonly replacementSealed: string
      readonly now: DateTime.Utc
    }
  ): Effect.Effect<void>
  /** The session of a token, whether or not it is revoked. */
  findTokenSession(
    tokenHash: string
  ): Effect.Effect<Option.Option<{ readonly sessionId: string; readonly revoked: boolean }>>
  /** The session of a token, if the token is the user's. */
  findUserTokenSession(userId: string, tokenHash: string): Effect.Effect<Option.Option<string>>
  /** Revokes the session and its refresh tokens. */
  revokeSession(sessionId: string, reason: string, now: DateTime.Utc): Effect.Effect<void>
  /** Revokes every session of the user live at `now` but `except`, and their tokens; returns how many. */
  revokeAll(userId: string, reason: string, except: string | null, now: DateTime.Utc): Effect.Effect<number>
  /** Whether the session is the user's and live at `now`, locking it until the end of the transaction. */
  lockLiveSession(userId: string, sessionId: string, now: DateTime.Utc): Effect.Effect<boolean>
  listLive(userId: string, now: DateTime.Utc): Effect.Effect<ReadonlyArray<SessionView>>
}>()("@cuebx/auth/SessionsRepo") {
  static readonly layer = Layer.effect(
    SessionsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const insertSession = SqlSchema.findOne({
        Request: NewSession,
        Result: Id,
        execute: (session) => sql`INSERT INTO user_sessions ${sql.insert(session)} RETURNING id`
      })
      const insertRefreshToken = SqlSchema.findOne({
        Request: NewRefreshToken,
        Result: Id,
        execute: (token) => sql`INSERT INTO refresh_tokens ${sql.insert(token)} RETURNING id`
      })
      const findPresented = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: PresentedToken,
        execute: (tokenHash) =>
          sql`
            SELECT t.id, t.session_id, t.user_id, t.expires_at, t.revoked_at, t.rotated_at, t.replacement_sealed,
                   s.revoked_at AS session_revoked_at, u.email, u.is_active, u.is_deleted
            FROM refresh_tokens t
            JOIN user_sessions s ON s.id = t.session_id
            JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = ${tokenHash} AND NOT t.is_deleted
            FOR UPDATE OF t`
      })
      const touchSession = SqlSchema.void({
        Request: Schema.Struct({ sessionId: Schema.String, now: TimestampColumn }),
        execute: ({ now, sessionId }) => sql`UPDATE user_sessions SET last_used_at = ${now} WHERE id = ${sessionId}`
      })
      const markRotated = SqlSchema.void({
        Request: Schema.Struct({
          id: Schema.String,
          replacedById: Schema.String,
          replacementSealed: Schema.String,
          now: TimestampColumn
        }),
        execute: ({ id, now, replacedById, replacementSealed }) =>
          sql`
            UPDATE refresh_tokens SET revoked_at = ${now}, rotated_at = ${now}, replaced_by_id = ${replacedById},
                   replacement_sealed = ${replacementSealed}
            WHERE id = ${id}`
      })
      const findTokenSession = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Schema.Struct({ sessionId: Schema.String, revokedAt: Schema.NullOr(TimestampColumn) }),
        execute: (tokenHash) => sql`SELECT session_id, revoked_at FROM refresh_tokens WHERE token_hash = ${tokenHash}`
      })
      const findUserTokenSession = SqlSchema.findOneOption({
        Request: Schema.Struct({ userId: Schema.String, tokenHash: Schema.String }),
        Result: Schema.Struct({ sessionId: Schema.String }),
        execute: ({ tokenHash, userId }) =>
          sql`SELECT session_id FROM refresh_tokens WHERE token_hash = ${tokenHash} AND user_id = ${userId}`
      })
      const Revocation = Schema.Struct({ reason: Schema.String, now: TimestampColumn })
      const revokeSession = SqlSchema.void({
        Request: Schema.Struct({ ...Revocation.fields, sessionId: Schema.String }),
        execute: ({ now, reason, sessionId }) =>
          sql`
            WITH session AS (
              UPDATE user_sessions SET revoked_at = ${now}, revoke_reason = ${reason}
              WHERE id = ${sessionId} AND revoked_at IS NULL
            )
            UPDATE refresh_tokens SET revoked_at = ${now} WHERE session_id = ${sessionId} AND revoked_at IS NULL`
      })
      const revokeAll = SqlSchema.findAll({
        Request: Schema.Struct({ ...Revocation.fields, userId: Schema.String, except: Schema.NullOr(Schema.String) }),
        Result: Id,
        execute: ({ except, now, reason, userId }) =>
          sql`
            WITH tokens AS (
              UPDATE refresh_tokens SET revoked_at = ${now}
              WHERE user_id = ${userId} AND revoked_at IS NULL
                AND (${except}::uuid IS NULL OR session_id <> ${except}::uuid)
            )
            UPDATE user_sessions SET revoked_at = ${now}, revoke_reason = ${reason}
            WHERE user_id = ${userId} AND revoked_at IS NULL AND expires_at > ${now}
              AND (${except}::uuid IS NULL OR id <> ${except}::uuid)
            RETURNING id`
      })
      const lockLiveSession = SqlSchema.findOneOption({
        Request: Schema.Struct({ userId: Schema.String, sessionId: Schema.String, now: TimestampColumn }),
        Result: Id,
        execute: ({ now, sessionId, userId }) =>
          sql`
            SELECT id FROM user_sessions
            WHERE id = ${sessionId} AND user_id = ${userId} AND revoked_at IS NULL AND expires_at > ${now}
            FOR UPDATE`
      })
      const listLive = SqlSchema.findAll({
        Request: Schema.Struct({ userId: Schema.String, now: TimestampColumn }),
        Result: SessionView,
        execute: ({ now, userId }) =>
          sql`
            SELECT id, device_info, created_at, expires_at FROM user_sessions
            WHERE user_id = ${userId} AND revoked_at IS NULL AND expires_at > ${now}
            ORDER BY last_used_at DESC, created_at DESC`
      })

      const idOf = Effect.map((row: typeof Id.Type) => row.id)

      return SessionsRepo.of({
        insertSession: (session) => insertSession(session).pipe(idOf, Effect.orDie),
        insertRefreshToken: (token) => insertRefreshToken(token).pipe(idOf, Effect.orDie),
        findPresented: (tokenHash) => findPresented(tokenHash).pipe(Effect.orDie),
        touchSession: (sessionId, now) => touchSession({ sessionId, now }).pipe(Effect.orDie),
        markRotated: (rotation) => markRotated(rotation).pipe(Effect.orDie),
        findTokenSession: (tokenHash) =>
          findTokenSession(tokenHash).pipe(
            Effect.map(Option.map((row) => ({ sessionId: row.sessionId, revoked: row.revokedAt !== null }))),
            Effect.orDie
          ),
        findUserTokenSession: (userId, tokenHash) =>
          findUserTokenSession({ userId, tokenHash }).pipe(
            Effect.map(Option.map((row) => row.sessionId)),
            Effect.orDie
          ),
        revokeSession: (sessionId, reason, now) => revokeSession({ sessionId, reason, now }).pipe(Effect.orDie),
        revokeAll: (userId, reason, except, now) =>
          revokeAll({ userId, reason, except, now }).pipe(Effect.map((rows) => rows.length), Effect.orDie),
        lockLiveSession: (userId, sessionId, now) =>
          lockLiveSession({ userId, sessionId, now }).pipe(Effect.map(Option.isSome), Effect.orDie),
        listLive: (userId, now) => listLive({ userId, now }).pipe(Effect.orDie)
      })
    })
  )
}

/**
 * The cleanup job's work: deletes refresh tokens, sessions and codes expired more than a day
 * before now, and forgets sealed replacements past the longest reuse grace.
 */
export const cleanupExpiredSessions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const now = yield* DateTime.now
  const deleteExpired = (table: "refresh_tokens" | "user_sessions" | "otp_tokens") =>
    SqlSchema.findAll({
      Request: TimestampColumn,
      Result: Id,
      execute: (cutoff) => sql`DELETE FROM ${sql(table)} WHERE expires_at < ${cutoff} RETURNING id`
    })
  const forgetReplacements = SqlSchema.void({
    Request: TimestampColumn,
    execute: (cutoff) =>
      sql`
        UPDATE refresh_tokens SET replacement_sealed = NULL
        WHERE replacement_sealed IS NOT NULL AND rotated_at < ${cutoff}`
  })
  const expired = DateTime.subtract(now, { days: 1 })
  yield* forgetReplacements(DateTime.subtract(now, { minutes: 5 }))
  const tokens = yield* deleteExpired("refresh_tokens")(expired)
  const sessions = yield* deleteExpired("user_sessions")(expired)
  const codes = yield* deleteExpired("otp_tokens")(expired)
  yield* Effect.logInfo("Expired sessions cleaned", {
    tokens: tokens.length,
    sessions: sessions.length,
    codes: codes.length
  })
})
