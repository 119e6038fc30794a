/**
 * The only SQL on `users` and `oauth_accounts`. Lookups see live users only (a deleted account
 * is gone for every flow); a unique-email race surfaces as `EmailTaken`, never as a 500.
 */
import { Context, Data, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"

export interface User {
  readonly id: string
  readonly email: string
  readonly emailVerified: boolean
  readonly fullName: string | null
  readonly avatarUrl: string | null
  readonly passwordHash: string | null
  readonly isActive: boolean
  readonly isDeleted: boolean
  readonly provisionedAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** What other domains may show of a user. */
export interface UserProfile {
  readonly id: string
  readonly email: string
  readonly fullName: string | null
  readonly avatarUrl: string | null
}

export type OAuthProviderName = "google" | "github"

export class EmailTaken extends Data.TaggedError("EmailTaken")<{ readonly email: string }> {}

const storedProvider = (provider: OAuthProviderName) => provider.toUpperCase()

const first = <A>(rows: ReadonlyArray<A>) => rows[0]

export class UsersRepo extends Context.Service<UsersRepo, {
  findByEmail(email: string): Effect.Effect<User | undefined>
  findById(id: string): Effect.Effect<User | undefined>
  /** The profiles of the live users among `ids` (deleted and unknown ones are left out). */
  profiles(ids: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, UserProfile>>
  /** Including deleted ones (the authentication check tells "deleted" from "unknown"). */
  findAnyById(id: string): Effect.Effect<User | undefined>
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
  claimProvisioning(id: string): Effect.Effect<boolean>
  updateProfile(
    id: string,
    changes: { readonly fullName?: string | null; readonly avatarUrl?: string | null }
  ): Effect.Effect<User | undefined>
  softDelete(id: string): Effect.Effect<void>
  oauthProviders(id: string): Effect.Effect<ReadonlyArray<OAuthProviderName>>
  findByOAuthAccount(provider: OAuthProviderName, providerAccountId: string): Effect.Effect<User | undefined>
  linkOAuthAccount(
    userId: string,
    provider: OAuthProviderName,
    providerAccountId: string,
    email: string | null
  ): Effect.Effect<void>
  /** Fills the name and avatar only where empty. */
  fillProfileFromProvider(id: string, fullName: string | null, avatarUrl: string | null): Effect.Effect<void>
  /** Hard-deletes users deleted before the cut-off; returns how many. */
  purgeDeletedBefore(cutoff: Date): Effect.Effect<number>
}>()("@cuebx/auth/UsersRepo") {
  static readonly layer = Layer.effect(
    UsersRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      return UsersRepo.of({
        findByEmail: (email) =>
          sql<User>`SELECT * FROM users WHERE email = ${email} AND NOT is_deleted`.pipe(
            Effect.map(first),
            Effect.orDie
          ),
        findById: (id) =>
          sql<User>`SELECT * FROM users WHERE id = ${id} AND NOT is_deleted`.pipe(Effect.map(first), Effect.orDie),
        profiles: (ids) =>
          ids.length === 0
            ? Effect.succeed(new Map())
            : sql<UserProfile>`
              SELECT id, email, full_name, avatar_url FROM users WHERE id IN ${sql.in(ids)} AND NOT is_deleted`.pipe(
              Effect.map((rows) => new Map(rows.map((row) => [row.id, row]))),
              Effect.orDie
            ),
        findAnyById: (id) => sql<User>`SELECT * FROM users WHERE id = ${id}`.pipe(Effect.map(first), Effect.orDie),
        create: (user) =>
          sql<User>`
            INSERT INTO users (email, password_hash, full_name, avatar_url, email_verified)
            VALUES (${user.email}, ${user.passwordHash}, ${user.fullName}, ${user.avatarUrl ?? null}, ${
            user.emailVerified ?? false
          })
            RETURNING *`.pipe(
            Effect.map((rows) => rows[0]!),
            Effect.catchReason("SqlError", "UniqueViolation", () => Effect.fail(new EmailTaken({ email: user.email }))),
            Effect.catchTag("SqlError", Effect.die)
          ),
        setPasswordHash: (id, passwordHash) =>
          sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie),
        markEmailVerified: (id) =>
          sql`UPDATE users SET email_verified = true WHERE id = ${id} AND NOT email_verified`.pipe(
            Effect.asVoid,
            Effect.orDie
          ),
        claimProvisioning: (id) =>
          sql`UPDATE users SET provisioned_at = now() WHERE id = ${id} AND provisioned_at IS NULL RETURNING id`.pipe(
            Effect.map((rows) => rows.length === 1),
            Effect.orDie
          ),
        updateProfile: (id, changes) => {
          const set: Record<string, string | null> = {}
          if (changes.fullName !== undefined) set["full_name"] = changes.fullName
          if (changes.avatarUrl !== undefined) set["avatar_url"] = changes.avatarUrl
          const update = Object.keys(set).length === 0
            ? sql<User>`SELECT * FROM users WHERE id = ${id} AND NOT is_deleted`
            : sql<User>`UPDATE users SET ${sql.update(set)} WHERE id = ${id} AND NOT is_deleted RETURNING *`
          return update.pipe(Effect.map(first), Effect.orDie)
        },
        softDelete: (id) =>
          sql.withTransaction(Effect.gen(function*() {
            yield* sql`UPDATE users SET is_deleted = true, deleted_at = now() WHERE id = ${id} AND NOT is_deleted`
            // Sign-in methods go with the account, so the provider identity can sign up again.
            yield* sql`DELETE FROM oauth_accounts WHERE user_id = ${id}`
          })).pipe(Effect.orDie),
        oauthProviders: (id) =>
          sql<{ readonly provider: string }>`
            SELECT DISTINCT provider FROM oauth_accounts WHERE user_id = ${id} ORDER BY provider`.pipe(
            Effect.map((rows) => rows.map((row) => row.provider.toLowerCase() as OAuthProviderName)),
            Effect.orDie
          ),
        findByOAuthAccount: (provider, providerAccountId) =>
          sql<User>`
            SELECT u.* FROM oauth_accounts a JOIN users u ON u.id = a.user_id
            WHERE a.provider = ${storedProvider(provider)} AND a.provider_account_id = ${providerAccountId}
              AND NOT u.is_deleted`.pipe(Effect.map(first), Effect.orDie),
        linkOAuthAccount: (userId, provider, providerAccountId, email) =>
          sql`
            INSERT INTO oauth_accounts (user_id, provider, provider_account_id, email)
            VALUES (${userId}, ${storedProvider(provider)}, ${providerAccountId}, ${email})
            ON CONFLICT (provider, provider_account_id) DO NOTHING`.pipe(Effect.asVoid, Effect.orDie),
        fillProfileFromProvider: (id, fullName, avatarUrl) =>
          sql`
            UPDATE users SET full_name = COALESCE(full_name, ${fullName}), avatar_url = COALESCE(avatar_url, ${avatarUrl})
            WHERE id = ${id} AND (full_name IS NULL OR avatar_url IS NULL)`.pipe(Effect.asVoid, Effect.orDie),
        purgeDeletedBefore: (cutoff) =>
          sql`DELETE FROM users WHERE is_deleted AND deleted_at < ${cutoff} RETURNING id`.pipe(
            Effect.map((rows) => rows.length),
            Effect.orDie
          )
      })
    })
  )
}
