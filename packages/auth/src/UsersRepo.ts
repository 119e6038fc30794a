/**
 * The only SQL on `users` and `oauth_accounts`, every row decoded on the way in. Lookups see live
 * users only (a deleted account is gone for every flow) except the Bearer check, which tells
 * "deleted" from "unknown"; a unique-email race surfaces as `EmailTaken`, never as a 500.
 */
import { OAuthProvider } from "@cuebx/contract"
import { TimestampColumn, UpperCaseEnum } from "@cuebx/db"
import { Context, Data, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export const User = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  emailVerified: Schema.Boolean,
  fullName: Schema.NullOr(Schema.String),
  avatarUrl: Schema.NullOr(Schema.String),
  passwordHash: Schema.NullOr(Schema.String),
  isActive: Schema.Boolean,
  provisionedAt: Schema.NullOr(TimestampColumn),
  createdAt: TimestampColumn,
  updatedAt: TimestampColumn
})
export type User = typeof User.Type

/** What other domains may show of a user. */
export const UserProfile = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  fullName: Schema.NullOr(Schema.String),
  avatarUrl: Schema.NullOr(Schema.String)
})
export type UserProfile = typeof UserProfile.Type

/** Stored as `'GOOGLE'` / `'GITHUB'`. */
export const OAuthProviderColumn = UpperCaseEnum(OAuthProvider.literals)

/**
 * The Bearer check's row: the token's user (deleted ones included) with the providers they sign
 * in with, and whether the token's session is live at the time given.
 */
export const AuthenticatedUser = Schema.Struct({
  ...User.fields,
  isDeleted: Schema.Boolean,
  oauthProviders: Schema.Array(OAuthProviderColumn),
  sessionLive: Schema.Boolean
})
export type AuthenticatedUser = typeof AuthenticatedUser.Type

export class EmailTaken extends Data.TaggedError("EmailTaken")<{ readonly email: string }> {}

const userColumns = [
  "id",
  "email",
  "email_verified",
  "full_name",
  "avatar_url",
  "password_hash",
  "is_active",
  "provisioned_at",
  "created_at",
  "updated_at"
]

export class UsersRepo extends Context.Service<UsersRepo, {
  findByEmail(email: string): Effect.Effect<Option.Option<User>>
  findById(id: string): Effect.Effect<Option.Option<User>>
  /** The profiles of the live users among `ids` (deleted and unknown ones are left out). */
  profiles(ids: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, UserProfile>>
  /**
   * The Bearer check in one round trip: the user (deleted or not) with whether `sessionId` is one
   * of theirs, not revoked and not expired at `now`. `sessionId` null: `sessionLive` is false.
   */
  authenticate(
    userId: string,
    sessionId: string | null,
    now: DateTime.Utc
  ): Effect.Effect<Option.Option<AuthenticatedUser>>
  create(user: {
    readonly email: string
    readonly passwordHash: string | null
    readonly fullName: string | null
    readonly avatarUrl?: string | null
    readonly emailVerified?: boolean
  }): Effect.Effect<User, EmailTaken>
  setPasswordHash(id: string, passwordHash: string): Effect.Effect<void>
  markEmailVerified(id: string): Effect.Effect<void>
  /** Sets `provisioned_at` once; true only for the one call that did. */
  claimProvisioning(id: string, now: DateTime.Utc): Effect.Effect<boolean>
  updateProfile(
    id: string,
    changes: { readonly fullName?: string | null; readonly avatarUrl?: string | null }
  ): Effect.Effect<Option.Option<User>>
  softDelete(id: string, now: DateTime.Utc): Effect.Effect<void>
  oauthProviders(id: string): Effect.Effect<ReadonlyArray<OAuthProvider>>
  findByOAuthAccount(provider: OAuthProvider, providerAccountId: string): Effect.Effect<Option.Option<User>>
  linkOAuthAccount(
    userId: string,
    provider: OAuthProvider,
    providerAccountId: string,
    email: string | null
  ): Effect.Effect<void>
  /** Fills the name and avatar only where empty. */
  fillProfileFromProvider(id: string, fullName: string | null, avatarUrl: string | null): Effect.Effect<void>
  /** Hard-deletes users deleted before the cut-off; returns how many. */
  purgeDeletedBefore(cutoff: DateTime.Utc): Effect.Effect<number>
}>()("@cuebx/auth/UsersRepo") {
  static readonly layer = Layer.effect(
    UsersRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const userColumnsOf = (alias: string) => sql.literal(userColumns.map((column) => `${alias}.${column}`).join(", "))
      const columns = sql.literal(userColumns.join(", "))
      const Id = Schema.Struct({ id: Schema.String })

      const findByEmail = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: User,
        execute: (email) => sql`SELECT ${columns} FROM users WHERE email = ${email} AND NOT is_deleted`
      })
      const findById = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: User,
        execute: (id) => sql`SELECT ${columns} FROM users WHERE id = ${id} AND NOT is_deleted`
      })
      const profiles = SqlSchema.findAll({
        Request: Schema.Array(Schema.String),
        Result: UserProfile,
        execute: (ids) =>
          sql`SELECT id, email, full_name, avatar_url FROM users WHERE id IN ${sql.in(ids)} AND NOT is_deleted`
      })
      const authenticate = SqlSchema.findOneOption({
        Request: Schema.Struct({
          userId: Schema.String,
          sessionId: Schema.NullOr(Schema.String),
          now: TimestampColumn
        }),
        Result: AuthenticatedUser,
        execute: ({ now, sessionId, userId }) =>
          sql`
            SELECT ${userColumnsOf("u")}, u.is_deleted,
                   ARRAY(SELECT DISTINCT a.provider FROM oauth_accounts a WHERE a.user_id = u.id ORDER BY a.provider)
                     AS oauth_providers,
                   EXISTS (
                     SELECT 1 FROM user_sessions s
                     WHERE s.id = ${sessionId}::uuid AND s.user_id = u.id AND s.revoked_at IS NULL
                       AND s.expires_at > ${now}
                   ) AS session_live
            FROM users u WHERE u.id = ${userId}`
      })
      const create = SqlSchema.findOne({
        Request: Schema.Struct({
          email: Schema.String,
          passwordHash: Schema.NullOr(Schema.String),
          fullName: Schema.NullOr(Schema.String),
          avatarUrl: Schema.NullOr(Schema.String),
          emailVerified: Schema.Boolean
        }),
        Result: User,
        execute: (user) => sql`INSERT INTO users ${sql.insert(user)} RETURNING ${columns}`
      })
      const setPasswordHash = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, passwordHash: Schema.String }),
        execute: ({ id, passwordHash }) => sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${id}`
      })
      const markEmailVerified = SqlSchema.void({
        Request: Schema.String,
        execute: (id) => sql`UPDATE users SET email_verified = true WHERE id = ${id} AND NOT email_verified`
      })
      const claimProvisioning = SqlSchema.findOneOption({
        Request: Schema.Struct({ id: Schema.String, now: TimestampColumn }),
        Result: Id,
        execute: ({ id, now }) =>
          sql`UPDATE users SET provisioned_at = ${now} WHERE id = ${id} AND provisioned_at IS NULL RETURNING id`
      })
      const updateProfile = SqlSchema.findOneOption({
        Request: Schema.Struct({
          id: Schema.String,
          changes: Schema.Struct({
            fullName: Schema.optionalKey(Schema.NullOr(Schema.String)),
            avatarUrl: Schema.optionalKey(Schema.NullOr(Schema.String))
          })
        }),
        Result: User,
        execute: ({ changes, id }) =>
          Object.keys(changes).length === 0
            ? sql`SELECT ${columns} FROM users WHERE id = ${id} AND NOT is_deleted`
            : sql`UPDATE users SET ${sql.update(changes)} WHERE id = ${id} AND NOT is_deleted RETURNING ${columns}`
      })
      // Sign-in methods go with the account, so the provider identity can sign up again.
      const softDelete = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, now: TimestampColumn }),
        execute: ({ id, now }) =>
          sql`
            WITH deleted AS (
              UPDATE users SET is_deleted = true, deleted_at = ${now} WHERE id = ${id} AND NOT is_deleted
            )
            DELETE FROM oauth_accounts WHERE user_id = ${id}`
      })
      const providersOf = SqlSchema.findAll({
        Request: Schema.String,
        Result: Schema.Struct({ provider: OAuthProviderColumn }),
        execute: (id) => sql`SELECT DISTINCT provider FROM oauth_accounts WHERE user_id = ${id} ORDER BY provider`
      })
      const findByOAuthAccount = SqlSchema.findOneOption({
        Request: Schema.Struct({ provider: OAuthProviderColumn, providerAccountId: Schema.String }),
        Result: User,
        execute: ({ provider, providerAccountId }) =>
          sql`
            SELECT ${userColumnsOf("u")} FROM oauth_accounts a JOIN users u ON u.id = a.user_id
            WHERE a.provider = ${provider} AND a.provider_account_id = ${providerAccountId} AND NOT u.is_deleted`
      })
      const linkOAuthAccount = SqlSchema.void({
        Request: Schema.Struct({
          userId: Schema.String,
          provider: OAuthProviderColumn,
          providerAccountId: Schema.String,
          email: Schema.NullOr(Schema.String)
        }),
        execute: (link) =>
          sql`INSERT INTO oauth_accounts ${sql.insert(link)} ON CONFLICT (provider, provider_account_id) DO NOTHING`
      })
      const fillProfileFromProvider = SqlSchema.void({
        Request: Schema.Struct({
          id: Schema.String,
          fullName: Schema.NullOr(Schema.String),
          avatarUrl: Schema.NullOr(Schema.String)
        }),
        execute: ({ avatarUrl, fullName, id }) =>
          sql`
            UPDATE users SET full_name = COALESCE(full_name, ${fullName}), avatar_url = COALESCE(avatar_url, ${avatarUrl})
            WHERE id = ${id} AND (full_name IS NULL OR avatar_url IS NULL)`
      })
      const purgeDeletedBefore = SqlSchema.findAll({
        Request: TimestampColumn,
        Result: Id,
        execute: (cutoff) => sql`DELETE FROM users WHERE is_deleted AND deleted_at < ${cutoff} RETURNING id`
      })

      return UsersRepo.of({
        findByEmail: (email) => findByEmail(email).pipe(Effect.orDie),
        findById: (id) => findById(id).pipe(Effect.orDie),
        profiles: (ids) =>
          ids.length === 0
            ? Effect.succeed(new Map())
            : profiles(ids).pipe(
              Effect.map((rows) => new Map(rows.map((row) => [row.id, row]))),
              Effect.orDie
            ),
        authenticate: (userId, sessionId, now) => authenticate({ userId, sessionId, now }).pipe(Effect.orDie),
        create: (user) =>
          create({
            email: user.email,
            passwordHash: user.passwordHash,
            fullName: user.fullName,
            avatarUrl: user.avatarUrl ?? null,
            emailVerified: user.emailVerified ?? false
          }).pipe(
            Effect.catchReason("SqlError", "UniqueViolation", () => Effect.fail(new EmailTaken({ email: user.email }))),
            Effect.catchTag(["SqlError", "SchemaError", "NoSuchElementError"], Effect.die)
          ),
        setPasswordHash: (id, passwordHash) => setPasswordHash({ id, passwordHash }).pipe(Effect.orDie),
        markEmailVerified: (id) => markEmailVerified(id).pipe(Effect.orDie),
        claimProvisioning: (id, now) => claimProvisioning({ id, now }).pipe(Effect.map(Option.isSome), Effect.orDie),
        updateProfile: (id, changes) => updateProfile({ id, changes }).pipe(Effect.orDie),
        softDelete: (id, now) => softDelete({ id, now }).pipe(Effect.orDie),
        oauthProviders: (id) =>
          providersOf(id).pipe(Effect.map((rows) => rows.map((row) => row.provider)), Effect.orDie),
        findByOAuthAccount: (provider, providerAccountId) =>
          findByOAuthAccount({ provider, providerAccountId }).pipe(Effect.orDie),
        linkOAuthAccount: (userId, provider, providerAccountId, email) =>
          linkOAuthAccount({ userId, provider, providerAccountId, email }).pipe(Effect.orDie),
        fillProfileFromProvider: (id, fullName, avatarUrl) =>
          fillProfileFromProvider({ id, fullName, avatarUrl }).pipe(Effect.orDie),
        purgeDeletedBefore: (cutoff) => purgeDeletedBefore(cutoff).pipe(Effect.map((rows) => rows.length), Effect.orDie)
      })
    })
  )
}
