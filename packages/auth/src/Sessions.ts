/**
 * Sessions and their tokens. A session is one sign-in on one device; its refresh token is an
 * opaque random value stored only as a SHA-256 hash, rotated on every use (RFC 9700): the token
 * presented is revoked and a new one issued. Presenting it again within the grace period (two
 * tabs refreshing at once) returns the same new pair; later, it is a reuse and the whole session
 * is revoked. `AUTH_REFRESH_ROTATION=false` keeps the reference's non-rotating tokens. Every
 * expiry and the grace window are decided on the application's `Clock`.
 */
import { MessageSecrets } from "@cuebx/broker"
import { transactionWith } from "@cuebx/db"
import { Context, Data, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { createHash, randomBytes } from "node:crypto"
import { AccessTokens } from "./AccessTokens.ts"
import { AuthSettings } from "./AuthSettings.ts"
import { SessionsRepo, type SessionView } from "./SessionsRepo.ts"

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

export class RefreshRejected extends Data.TaggedError("RefreshRejected")<{
  readonly detail: "Invalid or expired refresh token" | "User account is not active"
}> {}

/** Not a live session of this user. */
export class SessionNotFound extends Data.TaggedError("SessionNotFound")<{}> {}

export type RevokeReason =
  | "signout"
  | "signout_all"
  | "password_reset"
  | "password_change"
  | "account_deleted"
  | "refresh_token_reuse"
  | "deactivated_by_admin"

export const hashRefreshToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex")

const newRefreshToken = () => randomBytes(48).toString("base64url")

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const SealedPair = Schema.fromJsonString(Schema.Struct({
  accessToken: Schema.String,
  refreshToken: Schema.String,
  expiresIn: Schema.Number
}))

type RefreshOutcome =
  | { readonly _tag: "Refreshed"; readonly tokens: RefreshedTokens }
  | { readonly _tag: "Reused"; readonly sessionId: string; readonly userId: string }
  | { readonly _tag: "Rejected"; readonly detail: RefreshRejected["detail"] }

const rejectedRefresh = (detail: RefreshRejected["detail"]): RefreshOutcome => ({ _tag: "Rejected", detail })

export class Sessions extends Context.Service<Sessions, {
  start(
    user: { readonly id: string; readonly email: string },
    options: { readonly rememberMe: boolean; readonly deviceInfo: string | null; readonly ipAddress: string | null }
  ): Effect.Effect<TokenPair>
  refresh(refreshToken: string): Effect.Effect<RefreshedTokens, RefreshRejected>
  /** Revokes the session of a refresh token; false when it was unknown or already revoked. */
  signOut(refreshToken: string): Effect.Effect<boolean>
  /** Revokes every live session of the user but `except`; returns how many. */
  revokeAll(userId: string, reason: RevokeReason, except?: string | null): Effect.Effect<number>
  revoke(userId: string, sessionId: string): Effect.Effect<void, SessionNotFound>
  list(userId: string): Effect.Effect<ReadonlyArray<SessionView>>
  /** The session a refresh token belongs to, if it is the user's. */
  sessionOf(userId: string, refreshToken: string): Effect.Effect<Option.Option<string>>
}>()("@cuebx/auth/Sessions") {
  static readonly layer = Layer.effect(
    Sessions,
    Effect.gen(function*() {
      const transaction = transactionWith(yield* SqlClient.SqlClient)
      const repo = yield* SessionsRepo
      const tokens = yield* AccessTokens
      const secrets = yield* MessageSecrets
      const settings = yield* AuthSettings

      const issueRefreshToken = (sessionId: string, userId: string, now: DateTime.Utc, expiresAt: DateTime.Utc) =>
        Effect.gen(function*() {
          const token = newRefreshToken()
          const id = yield* repo.insertRefreshToken({
            userId,
            sessionId,
            tokenHash: hashRefreshToken(token),
            createdAt: now,
            expiresAt
          })
          return { id, token }
        })

      const start = Effect.fn("Sessions.start")(function*(
        user: { readonly id: string; readonly email: string },
        options: { readonly rememberMe: boolean; readonly deviceInfo: string | null; readonly ipAddress: string | null }
      ) {
        const now = yield* DateTime.now
        const expiresAt = DateTime.addDuration(
          now,
          options.rememberMe ? settings.rememberMeRefreshTokenTtl : settings.refreshTokenTtl
        )
        return yield* transaction(Effect.gen(function*() {
          const sessionId = yield* repo.insertSession({
            userId: user.id,
            deviceInfo: options.deviceInfo,
            ipAddress: options.ipAddress,
            createdAt: now,
            lastUsedAt: now,
            expiresAt
          })
          const refresh = yield* issueRefreshToken(sessionId, user.id, now, expiresAt)
          const accessToken = yield* tokens.issue({ userId: user.id, email: user.email, sessionId })
          return { accessToken, refreshToken: refresh.token, expiresIn: tokens.ttlSeconds }
        }))
      })

      const refresh = Effect.fn("Sessions.refresh")(function*(refreshToken: string) {
        const outcome = yield* transaction(Effect.gen(function*(): Effect.fn.Return<RefreshOutcome> {
          const found = yield* repo.findPresented(hashRefreshToken(refreshToken))
          // Read after the row lock, so a refresh that waited for a concurrent rotation sees it.
          const now = yield* DateTime.now
          if (Option.isNone(found)) return rejectedRefresh("Invalid or expired refresh token")
          const presented = found.value
          if (presented.sessionRevokedAt !== null || DateTime.isLessThanOrEqualTo(presented.expiresAt, now)) {
            return rejectedRefresh("Invalid or expired refresh token")
          }
          if (!presented.isActive || presented.isDeleted) return rejectedRefresh("User account is not active")
          if (presented.revokedAt !== null) {
            if (presented.rotatedAt === null) return rejectedRefresh("Invalid or expired refresh token")
            const withinGrace = DateTime.isLessThanOrEqualTo(
              now,
              DateTime.addDuration(presented.rotatedAt, settings.refreshReuseGrace)
            )
            if (withinGrace && presented.replacementSealed !== null) {
              const opened = yield* secrets.open(presented.replacementSealed).pipe(Effect.orDie)
              return { _tag: "Refreshed", tokens: yield* Schema.decodeEffect(SealedPair)(opened).pipe(Effect.orDie) }
            }
            yield* repo.revokeSession(presented.sessionId, "refresh_token_reuse", now)
            return { _tag: "Reused", sessionId: presented.sessionId, userId: presented.userId }
          }
          yield* repo.touchSession(presented.sessionId, now)
          const accessToken = yield* tokens.issue({
            userId: presented.userId,
            email: presented.email,
            sessionId: presented.sessionId
          })
          if (!settings.refreshRotation) {
            return { _tag: "Refreshed", tokens: { accessToken, expiresIn: tokens.ttlSeconds } }
          }
          // The new token lives as long as the session: rotation never extends it.
          const next = yield* issueRefreshToken(presented.sessionId, presented.userId, now, presented.expiresAt)
          const pair = { accessToken, refreshToken: next.token, expiresIn: tokens.ttlSeconds }
          yield* repo.markRotated({
            id: presented.id,
            replacedById: next.id,
            replacementSealed: secrets.seal(JSON.stringify(pair)),
            now
          })
          return { _tag: "Refreshed", tokens: pair }
        }))

        switch (outcome._tag) {
          case "Refreshed":
            return outcome.tokens
          case "Reused":
            yield* Effect.logWarning("Refresh token reused after rotation; the session is revoked", {
              session_id: outcome.sessionId,
              user_id: outcome.userId
            })
            return yield* new RefreshRejected({ detail: "Invalid or expired refresh token" })
          case "Rejected":
            return yield* new RefreshRejected({ detail: outcome.detail })
        }
      })

      const signOut = Effect.fn("Sessions.signOut")(function*(refreshToken: string) {
        return yield* transaction(Effect.gen(function*() {
          const token = yield* repo.findTokenSession(hashRefreshToken(refreshToken))
          if (Option.isNone(token) || token.value.revoked) return false
          yield* repo.revokeSession(token.value.sessionId, "signout", yield* DateTime.now)
          return true
        }))
      })

      const revokeAll = Effect.fn("Sessions.revokeAll")(
        function*(userId: string, reason: RevokeReason, except?: string | null) {
          return yield* repo.revokeAll(userId, reason, except ?? null, yield* DateTime.now)
        }
      )

      const revoke = Effect.fn("Sessions.revoke")(function*(userId: string, sessionId: string) {
        if (!uuid.test(sessionId)) return yield* new SessionNotFound()
        yield* transaction(Effect.gen(function*() {
          const now = yield* DateTime.now
          if (!(yield* repo.lockLiveSession(userId, sessionId, now))) return yield* new SessionNotFound()
          yield* repo.revokeSession(sessionId, "signout", now)
        }))
      })

      const list = Effect.fn("Sessions.list")(function*(userId: string) {
        return yield* repo.listLive(userId, yield* DateTime.now)
      })

      const sessionOf = Effect.fn("Sessions.sessionOf")(function*(userId: string, refreshToken: string) {
        return yield* repo.findUserTokenSession(userId, hashRefreshToken(refreshToken))
      })

      return Sessions.of({ start, refresh, signOut, revokeAll, revoke, list, sessionOf })
    })
  )
}
