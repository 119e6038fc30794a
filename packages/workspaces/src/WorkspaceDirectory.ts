/**
 * The operators' view of the workspaces (the admin panel): searching and paging through all of
 * them, deleted ones included, one in full with its members (and their profiles) and its API
 * keys, and the names of a batch of workspaces for other pages' links. Reads only; changes go
 * through the workspace services.
 */
import { WorkspaceStatus } from "@cuebx/contract"
import { isUuid, storedUpperCase, TimestampColumn } from "@cuebx/db"
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { isUsable, type ListedApiKey } from "./ApiKeys.ts"
import { ApiKeysRepo } from "./ApiKeysRepo.ts"
import { Workspace } from "./WorkspacesRepo.ts"
import { type Member, WorkspaceViews } from "./WorkspaceViews.ts"

export const DirectoryWorkspace = Schema.Struct({
  ...Workspace.fields,
  isDeleted: Schema.Boolean,
  deletedAt: Schema.NullOr(TimestampColumn),
  /** Memberships of live accounts, disabled ones included. */
  memberCount: Schema.Int,
  /** Keys not deleted, revoked and expired ones included. */
  apiKeyCount: Schema.Int
})
export type DirectoryWorkspace = typeof DirectoryWorkspace.Type

export const workspaceKinds = ["personal", "team"] as const

export interface WorkspaceSearch {
  /** Part of the name or the slug, any case, or the id. */
  readonly text: string | undefined
  readonly status: WorkspaceStatus | "deleted" | undefined
  readonly kind: typeof workspaceKinds[number] | undefined
  readonly ownerId: string | undefined
  readonly limit: number
  readonly offset: number
}

const Filters = Schema.Struct({
  pattern: Schema.NullOr(Schema.String),
  id: Schema.NullOr(Schema.String),
  status: Schema.NullOr(Schema.String),
  personal: Schema.NullOr(Schema.Boolean),
  ownerId: Schema.NullOr(Schema.String)
})

export class WorkspaceDirectory extends Context.Service<WorkspaceDirectory, {
  search(
    query: WorkspaceSearch
  ): Effect.Effect<{ readonly items: ReadonlyArray<DirectoryWorkspace>; readonly total: number }>
  find(id: string): Effect.Effect<Option.Option<DirectoryWorkspace>>
  /** Every member, disabled ones included, with their profiles. */
  members(workspaceId: string): Effect.Effect<ReadonlyArray<Member>>
  /** Every key, revoked and expired ones included, with whether it is usable now. */
  apiKeys(workspaceId: string): Effect.Effect<ReadonlyArray<ListedApiKey>>
  /** The display names of these workspaces (unknown ids left out). */
  namesOf(ids: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, string>>
}>()("@cuebx/workspaces/WorkspaceDirectory") {
  static readonly layer = Layer.effect(
    WorkspaceDirectory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const views = yield* WorkspaceViews
      const keys = yield* ApiKeysRepo
      const selected = sql`
        SELECT w.*,
          (SELECT count(*)::int FROM workspace_members m WHERE m.workspace_id = w.id AND NOT m.account_deleted)
            AS member_count,
          (SELECT count(*)::int FROM api_keys k WHERE k.workspace_id = w.id AND NOT k.is_deleted) AS api_key_count
        FROM workspaces w`
      const where = (filters: typeof Filters.Encoded) =>
        sql`
          WHERE (${filters.pattern}::text IS NULL OR w.display_name ILIKE ${filters.pattern}
              OR w.slug ILIKE ${filters.pattern} OR w.id = ${filters.id}::uuid)
            AND (${filters.status}::text IS NULL
              OR (${filters.status} = 'DELETED' AND w.is_deleted)
              OR (w.status = ${filters.status} AND NOT w.is_deleted))
            AND (${filters.personal}::boolean IS NULL OR w.is_personal = ${filters.personal})
            AND (${filters.ownerId}::uuid IS NULL OR w.owner_id = ${filters.ownerId}::uuid)`
      const page = SqlSchema.findAll({
        Request: Schema.Struct({ ...Filters.fields, limit: Schema.Int, offset: Schema.Int }),
        Result: DirectoryWorkspace,
        execute: ({ limit, offset, ...filters }) =>
          sql`${selected} ${where(filters)} ORDER BY w.created_at DESC, w.id LIMIT ${limit} OFFSET ${offset}`
      })
      const count = SqlSchema.findOne({
        Request: Filters,
        Result: Schema.Struct({ total: Schema.Int }),
        execute: (filters) => sql`SELECT count(*)::int AS total FROM workspaces w ${where(filters)}`
      })
      const byId = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: DirectoryWorkspace,
        execute: (id) => sql`${selected} WHERE w.id = ${id}`
      })
      const names = SqlSchema.findAll({
        Request: Schema.Array(Schema.String),
        Result: Schema.Struct({ id: Schema.String, displayName: Schema.String }),
        execute: (ids) => sql`SELECT id, display_name FROM workspaces WHERE id IN ${sql.in(ids)}`
      })

      return WorkspaceDirectory.of({
        search: Effect.fn("WorkspaceDirectory.search")(function*(query: WorkspaceSearch) {
          const text = query.text?.trim()
          const ownerId = query.ownerId?.trim() || null
          if (ownerId !== null && !isUuid(ownerId)) return { items: [], total: 0 }
          const filters = {
            pattern: text === undefined || text === "" ? null : `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`,
            id: text !== undefined && isUuid(text) ? text : null,
            status: query.status === undefined ? null : storedUpperCase(query.status),
            personal: query.kind === undefined ? null : query.kind === "personal",
            ownerId
          }
          const [items, { total }] = yield* Effect.all([
            page({ ...filters, limit: query.limit, offset: query.offset }),
            count(filters)
          ])
          return { items, total }
        }, Effect.orDie),
        find: (id) => isUuid(id) ? byId(id).pipe(Effect.orDie) : Effect.succeed(Option.none()),
        members: (workspaceId) => views.members(workspaceId, undefined),
        apiKeys: Effect.fn("WorkspaceDirectory.apiKeys")(function*(workspaceId: string) {
          const now = yield* DateTime.now
          return (yield* keys.list(workspaceId)).map((key) => ({ key, usable: isUsable(key, now) }))
        }),
        namesOf: Effect.fn("WorkspaceDirectory.namesOf")(function*(ids: ReadonlyArray<string>) {
          const known = [...new Set(ids.filter(isUuid))]
          if (known.length === 0) return new Map<string, string>()
          return new Map((yield* names(known)).map((row) => [row.id, row.displayName]))
        }, Effect.orDie)
      })
    })
  )
}
