/**
 * The panel's operator sessions: signing in with the admin credentials (`AdminLogins`: rate
 * limited, constant-time) creates a random token, stored only as its SHA-256 in
 * `admin_sessions`, that the browser keeps in an HttpOnly cookie; signing out revokes it. Each
 * session has a CSRF token derived from it (an HMAC with `SESSION_SECRET_KEY`), which every form
 * of the panel carries. Owns `admin_sessions`.
 */
import { hmacHex, SessionSecretKey } from "@cuebx/config"
import { TimestampColumn } from "@cuebx/db"
import { Config, Context, DateTime, Duration, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { type AdminCredentialsRefused, AdminLogins, type AdminLoginThrottled } from "../AdminLogins.ts"

export const AdminSessionSettings = Config.all({
  ttl: Config.Duration("ADMIN_SESSION_TTL").pipe(Config.withDefault(Duration.hours(8))),
  cookieName: Config.String("SESSION_COOKIE_NAME").pipe(Config.withDefault("session")),
  sameSite: Config.Literals(["lax", "strict", "none"], "SESSION_SAME_SITE_COOKIE_POLICY").pipe(
    Config.withDefault("lax")
  )
})
export type AdminSessionSettings = Config.Success<typeof AdminSessionSettings>

export interface AdminSession {
  readonly id: string
  readonly username: string
  readonly csrfToken: string
  readonly expiresAt: DateTime.Utc
}

const SessionRow = Schema.Struct({
  id: Schema.String,
  username: Schema.String,
  expiresAt: TimestampColumn
})

const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex")

const sameToken = (given: string, expected: string) =>
  given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))

export class AdminSessions extends Context.Service<AdminSessions, {
  /** A new session for the operator's credentials; its token goes into the cookie. */
  signIn(input: {
    readonly username: string
    readonly password: string
    readonly clientIp: string
    readonly userAgent: string | null
  }): Effect.Effect<
    { readonly token: string; readonly session: AdminSession },
    AdminCredentialsRefused | AdminLoginThrottled
  >
  /** The live session of a cookie's token, if any. */
  current(token: string): Effect.Effect<Option.Option<AdminSession>>
  signOut(token: string): Effect.Effect<void>
  /** Whether `given` is the CSRF token of `session` (constant time). */
  isCsrfToken(session: AdminSession, given: string): boolean
  readonly settings: AdminSessionSettings
}>()("@cuebx/admin/AdminSessions") {
  static readonly layer = Layer.effect(
    AdminSessions,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const logins = yield* AdminLogins
      const settings = yield* AdminSessionSettings
      const secret = yield* SessionSecretKey.config
      const csrfOf = (sessionId: string) => hmacHex(secret, `admin-csrf:${sessionId}`)

      const insert = SqlSchema.findOne({
        Request: Schema.Struct({
          tokenHash: Schema.String,
          username: Schema.String,
          clientIp: Schema.String,
          userAgent: Schema.NullOr(Schema.String),
          createdAt: TimestampColumn,
          lastSeenAt: TimestampColumn,
          expiresAt: TimestampColumn
        }),
        Result: SessionRow,
        execute: (row) => sql`INSERT INTO admin_sessions ${sql.insert(row)} RETURNING id, username, expires_at`
      })
      const live = SqlSchema.findOneOption({
        Request: Schema.Struct({ tokenHash: Schema.String, now: TimestampColumn }),
        Result: SessionRow,
        execute: ({ now, tokenHash }) =>
          sql`
            SELECT id, username, expires_at FROM admin_sessions
            WHERE token_hash = ${tokenHash} AND revoked_at IS NULL AND expires_at > ${now}`
      })
      const revoke = SqlSchema.void({
        Request: Schema.Struct({ tokenHash: Schema.String, now: TimestampColumn }),
        execute: ({ now, tokenHash }) =>
          sql`UPDATE admin_sessions SET revoked_at = ${now} WHERE token_hash = ${tokenHash} AND revoked_at IS NULL`
      })

      const toSession = (row: typeof SessionRow.Type): AdminSession => ({ ...row, csrfToken: csrfOf(row.id) })

      const signIn = Effect.fn("AdminSessions.signIn")(function*(input: {
        readonly username: string
        readonly password: string
        readonly clientIp: string
        readonly userAgent: string | null
      }) {
        yield* logins.verify({ username: input.username, password: input.password }, input.clientIp)
        const token = randomBytes(32).toString("base64url")
        const now = yield* DateTime.now
        const row = yield* insert({
          tokenHash: hashToken(token),
          username: input.username,
          clientIp: input.clientIp,
          userAgent: input.userAgent?.slice(0, 512) ?? null,
          createdAt: now,
          lastSeenAt: now,
          expiresAt: DateTime.addDuration(now, settings.ttl)
        }).pipe(Effect.orDie)
        yield* Effect.logInfo("Admin signed in", { username: input.username, client_ip: input.clientIp })
        return { token, session: toSession(row) }
      })

      return AdminSessions.of({
        signIn,
        current: (token) =>
          token === ""
            ? Effect.succeedNone
            : DateTime.now.pipe(
              Effect.flatMap((now) => live({ tokenHash: hashToken(token), now })),
              Effect.map(Option.map(toSession)),
              Effect.orDie
            ),
        signOut: (token) =>
          DateTime.now.pipe(Effect.flatMap((now) => revoke({ tokenHash: hashToken(token), now })), Effect.orDie),
        isCsrfToken: (session, given) => sameToken(given, session.csrfToken),
        settings
      })
    })
  )
}
