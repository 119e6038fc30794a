/**
 * The operators' view of the users (the admin panel): searching and paging through every account,
 * deleted ones included, one account in full, sign-ups per day, and deactivating or reactivating
 * an account (deactivation also signs it out everywhere). The flows' own SQL on `users` is in
 * `UsersRepo`.
 */
import { isUuid, TimestampColumn, transactionWith } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { Sessions } from "./Sessions.ts"
import { OAuthProviderColumn } from "./UsersRepo.ts"

export const DirectoryUser = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  emailVerified: Schema.Boolean,
  fullName: Schema.NullOr(Schema.String),
  isActive: Schema.Boolean,
  isDeleted: Schema.Boolean,
  hasPassword: Schema.Boolean,
  oauthProviders: Schema.Array(OAuthProviderColumn),
  createdAt: TimestampColumn,
  deletedAt: Schema.NullOr(TimestampColumn)
})
export type DirectoryUser = typeof DirectoryUser.Type

export type AccountState = "active" | "inactive" | "deleted"

export interface UserSearch {
  /** Part of the email or the name, any case. */
  readonly text: string | undefined
  readonly state: AccountState | undefined
  readonly limit: number
  readonly offset: number
}

const Filters = Schema.Struct({ pattern: Schema.NullOr(Schema.String), state: Schema.NullOr(Schema.String) })

export class UserDirectory extends Context.Service<UserDirectory, {
  search(query: UserSearch): Effect.Effect<{ readonly items: ReadonlyArray<DirectoryUser>; readonly total: number }>
  find(id: string): Effect.Effect<Option.Option<DirectoryUser>>
  /** Accounts created per UTC day since `since` (days without any are left out). */
  signupsPerDay(since: DateTime.Utc): Effect.Effect<ReadonlyArray<{ readonly day: string; readonly count: number }>>
  /**
   * Deactivates (and signs out everywhere) or reactivates a live account; returns it before and
   * after, or none when there is no live account with that id.
   */
  setActive(
    id: string,
    active: boolean
  ): Effect.Effect<Option.Option<{ readonly before: DirectoryUser; readonly after: DirectoryUser }>>
}>()("@cuebx/auth/UserDirectory") {
  static readonly layer = Layer.effect(
    UserDirectory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const sessions = yield* Sessions
      const transaction = transactionWith(sql)
      const selected = sql`
        SELECT u.id, u.email, u.email_verified, u.full_name, u.is_active, u.is_deleted,
               u.password_hash IS NOT NULL AS has_password, u.created_at, u.deleted_at,
               ARRAY(SELECT DISTINCT a.provider FROM oauth_accounts a WHERE a.user_id = u.id ORDER BY a.provider)
                 AS oauth_providers
        FROM users u`
      const where = ({ pattern, state }: typeof Filters.Type) =>
        sql`
          WHERE (${pattern}::text IS NULL OR u.email ILIKE ${pattern} OR u.full_name ILIKE ${pattern})
            AND (${state}::text IS NULL
              OR (${state} = 'active' AND u.is_active AND NOT u.is_deleted)
              OR (${state} = 'inactive' AND NOT u.is_active AND NOT u.is_deleted)
              OR (${state} = 'deleted' AND u.is_deleted))`
      const page = SqlSchema.findAll({
        Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
        Result: DirectoryUser,
        execute: ({ limit, offset, ...filters }) =>
          sql`${selected} ${where(filters)} ORDER BY u.created_at DESC, u.id LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: Filters,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (filters) => sql`SELECT count(*)::int AS total FROM users u ${where(filters)}`
      })
      const byId = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: DirectoryUser,
        execute: (id) => sql`${selected} WHERE u.id = ${id}`
      })
      const perDay = SqlSchema.findAll({
        Request: TimestampColumn,
        Result: Schema.Struct({ day: Schema.String, count: Schema.Int }),
        execute: (since) =>
          sql`
            SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS count
            FROM users WHERE created_at >= ${since} GROUP BY 1 ORDER BY 1`
      })
      const updateActive = SqlSchema.findOneOption({
        Request: Schema.Struct({ id: Schema.String, active: Schema.Boolean }),
        Result: Schema.Struct({ id: Schema.String }),
        execute: ({ active, id }) =>
          sql`UPDATE users SET is_active = ${active} WHERE id = ${id} AND NOT is_deleted RETURNING id`
      })

      return UserDirectory.of({
        search: Effect.fn("UserDirectory.search")(function*(query: UserSearch) {
          const text = query.text?.trim()
          const filters = {
            pattern: text === undefined || text === "" ? null : `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`,
            state: query.state ?? null
          }
          const [items, { total }] = yield* Effect.all([
            page({ ...filters, limit: query.limit, offset: query.offset }),
            count(filters)
          ])
          return { items, total }
        }, Effect.orDie),
        find: (id) => isUuid(id) ? byId(id).pipe(Effect.orDie) : Effect.succeedNone,
        signupsPerDay: (since) => perDay(since).pipe(Effect.orDie),
        setActive: Effect.fn("UserDirectory.setActive")(function*(id: string, active: boolean) {
          if (!isUuid(id)) return Option.none()
          return yield* transaction(Effect.gen(function*() {
            const before = yield* byId(id)
            if (Option.isNone(before) || before.value.isDeleted) return Option.none()
            yield* updateActive({ id, active })
            if (!active) yield* sessions.revokeAll(id, "deactivated_by_admin")
            const after = yield* byId(id)
            return Option.map(after, (user) => ({ before: before.value, after: user }))
          }))
        }, Effect.catchTag("SchemaError", Effect.die))
      })
    })
  )
}
