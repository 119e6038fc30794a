/**
 * The only SQL on `workspaces` and `workspace_members`. Members of deleted accounts are invisible
 * and hold no seat. Mutations are meant to run in a transaction that first locked the workspace
 * (`lock`), which serialises every change to one workspace.
 */
import { Context, Data, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"

export type WorkspaceStatusName = "ACTIVE" | "FROZEN" | "SUSPENDED"
export type RoleName = "OWNER" | "ADMIN" | "MEMBER"
export type MemberStatusName = "ENABLED" | "DISABLED"

export interface Workspace {
  readonly id: string
  readonly displayName: string
  readonly slug: string
  readonly ownerId: string
  readonly status: WorkspaceStatusName
  readonly isPersonal: boolean
  readonly description: string | null
  readonly createdAt: Date
}

export interface Member {
  readonly id: string
  readonly workspaceId: string
  readonly userId: string
  readonly role: RoleName
  readonly status: MemberStatusName
  readonly joinedAt: Date
  readonly userEmail: string | null
  readonly userName: string | null
  readonly userAvatarUrl: string | null
}

/** Seats in use: enabled members and the pending invitations that reserve one. */
export interface Occupancy {
  readonly enabledMembers: number
  readonly totalMembers: number
  readonly pendingInvitations: number
}

export class SlugTaken extends Data.TaggedError("SlugTaken")<{ readonly slug: string }> {}

/** The reference's slugify: lowercase, runs of spaces/underscores to `-`, other symbols dropped. */
export const slugify = (text: string): string => {
  const slug = text
    .toLowerCase()
    .replace(/[\s_]+/g, "-")
    .replace(/[^a-z0-9-]/g, "")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "")
  return slug === "" ? "workspace" : slug
}

const maxBaseLength = 100

const first = <A>(rows: ReadonlyArray<A>) => rows[0]

const emptyOccupancy: Occupancy = { enabledMembers: 0, totalMembers: 0, pendingInvitations: 0 }

export class WorkspacesRepo extends Context.Service<WorkspacesRepo, {
  find(id: string): Effect.Effect<Workspace | undefined>
  /** Locks the workspace row until the transaction ends; `undefined` when it does not exist. */
  lock(id: string): Effect.Effect<Workspace | undefined>
  personalOf(userId: string): Effect.Effect<Workspace | undefined>
  /** Workspaces where the user's membership is enabled, oldest first. */
  listForUser(userId: string, role: RoleName | undefined): Effect.Effect<ReadonlyArray<Workspace>>
  /** A workspace with a unique `ws-…` slug and its owner as first member. */
  create(input: {
    readonly displayName: string
    readonly description: string | null
    readonly ownerId: string
    readonly isPersonal: boolean
  }): Effect.Effect<Workspace>
  update(
    id: string,
    changes: { readonly displayName?: string; readonly slug?: string; readonly description?: string | null }
  ): Effect.Effect<Workspace, SlugTaken>
  setStatus(id: string, status: WorkspaceStatusName): Effect.Effect<void>
  setOwner(id: string, ownerId: string): Effect.Effect<void>
  member(workspaceId: string, userId: string): Effect.Effect<Member | undefined>
  members(workspaceId: string, status: MemberStatusName | undefined): Effect.Effect<ReadonlyArray<Member>>
  addMember(workspaceId: string, userId: string, role: RoleName): Effect.Effect<Member>
  updateMember(
    workspaceId: string,
    userId: string,
    changes: { readonly role?: RoleName; readonly status?: MemberStatusName }
  ): Effect.Effect<Member>
  removeMember(workspaceId: string, userId: string): Effect.Effect<void>
  occupancy(workspaceIds: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, Occupancy>>
}>()("@cuebx/workspaces/WorkspacesRepo") {
  static readonly layer = Layer.effect(
    WorkspacesRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const member = (workspaceId: string, userId: string) =>
        sql<Member>`
          SELECT m.*, u.email AS user_email, u.full_name AS user_name, u.avatar_url AS user_avatar_url
          FROM workspace_members m JOIN users u ON u.id = m.user_id AND NOT u.is_deleted
          WHERE m.workspace_id = ${workspaceId} AND m.user_id = ${userId}`.pipe(Effect.map(first), Effect.orDie)

      const requireMember = (workspaceId: string, userId: string) =>
        Effect.flatMap(member(workspaceId, userId), (found) =>
          found === undefined
            ? Effect.die(`membership of ${userId} in ${workspaceId} vanished inside its transaction`)
            : Effect.succeed(found))

      /** Tries `ws-name`, then `ws-name-1`, `-2`…; ON CONFLICT keeps a lost race from aborting the transaction. */
      const insertWithUniqueSlug = Effect.fn("WorkspacesRepo.insertWithUniqueSlug")(function*(input: {
        readonly displayName: string
        readonly description: string | null
        readonly ownerId: string
        readonly isPersonal: boolean
      }) {
        const base = `ws-${slugify(input.displayName).slice(0, maxBaseLength).replace(/-+$/, "")}`
        const taken = yield* sql<{ readonly slug: string }>`
          SELECT slug FROM workspaces WHERE slug = ${base} OR slug LIKE ${`${base}-%`}`
        const used = new Set(taken.map((row) => row.slug))
        let suffix = 0
        for (let attempt = 0; attempt < 50; attempt++) {
          while (used.has(suffix === 0 ? base : `${base}-${suffix}`)) suffix++
          const slug = suffix === 0 ? base : `${base}-${suffix}`
          const inserted = yield* sql<Workspace>`
            INSERT INTO workspaces (display_name, slug, owner_id, is_personal, description)
            VALUES (${input.displayName}, ${slug}, ${input.ownerId}, ${input.isPersonal}, ${input.description})
            ON CONFLICT (slug) DO NOTHING
            RETURNING *`
          if (inserted[0] !== undefined) return inserted[0]
          used.add(slug)
        }
        return yield* Effect.die(`no free slug for ${base} after 50 attempts`)
      })

      return WorkspacesRepo.of({
        find: (id) =>
          sql<Workspace>`SELECT * FROM workspaces WHERE id = ${id} AND NOT is_deleted`.pipe(
            Effect.map(first),
            Effect.orDie
          ),
        lock: (id) =>
          sql<Workspace>`SELECT * FROM workspaces WHERE id = ${id} AND NOT is_deleted FOR UPDATE`.pipe(
            Effect.map(first),
            Effect.orDie
          ),
        personalOf: (userId) =>
          sql<Workspace>`
            SELECT * FROM workspaces WHERE owner_id = ${userId} AND is_personal AND NOT is_deleted`.pipe(
            Effect.map(first),
            Effect.orDie
          ),
        listForUser: (userId, role) =>
          sql<Workspace>`
            SELECT w.* FROM workspaces w
            JOIN workspace_members m ON m.workspace_id = w.id
            WHERE m.user_id = ${userId} AND m.status = 'ENABLED' AND NOT w.is_deleted
              ${role === undefined ? sql`` : sql`AND m.role = ${role}`}
            ORDER BY w.created_at, w.id`.pipe(Effect.orDie),
        create: (input) =>
          Effect.gen(function*() {
            const workspace = yield* insertWithUniqueSlug(input)
            yield* sql`
              INSERT INTO workspace_members (workspace_id, user_id, role, status)
              VALUES (${workspace.id}, ${input.ownerId}, 'OWNER', 'ENABLED')`
            return workspace
          }).pipe(Effect.orDie),
        update: (id, changes) =>
          sql<Workspace>`
            UPDATE workspaces SET
              display_name = COALESCE(${changes.displayName ?? null}, display_name),
              slug = COALESCE(${changes.slug ?? null}, slug),
              description = ${changes.description === undefined ? sql`description` : changes.description}
            WHERE id = ${id}
            RETURNING *`.pipe(
            Effect.flatMap((rows) =>
              rows[0] === undefined
                ? Effect.die(`workspace ${id} vanished inside its transaction`)
                : Effect.succeed(rows[0])
            ),
            Effect.catchReason("SqlError", "UniqueViolation", () =>
              Effect.fail(new SlugTaken({ slug: changes.slug ?? "" }))),
            Effect.catchTag("SqlError", Effect.die)
          ),
        setStatus: (id, status) =>
          sql`UPDATE workspaces SET status = ${status} WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie),
        setOwner: (id, ownerId) =>
          sql`UPDATE workspaces SET owner_id = ${ownerId} WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie),
        member,
        members: (workspaceId, status) =>
          sql<Member>`
            SELECT m.*, u.email AS user_email, u.full_name AS user_name, u.avatar_url AS user_avatar_url
            FROM workspace_members m JOIN users u ON u.id = m.user_id AND NOT u.is_deleted
            WHERE m.workspace_id = ${workspaceId}
              ${status === undefined ? sql`` : sql`AND m.status = ${status}`}
            ORDER BY m.joined_at, m.id`.pipe(Effect.orDie),
        addMember: (workspaceId, userId, role) =>
          sql`
            INSERT INTO workspace_members (workspace_id, user_id, role, status)
            VALUES (${workspaceId}, ${userId}, ${role}, 'ENABLED')`.pipe(
            Effect.orDie,
            Effect.andThen(requireMember(workspaceId, userId))
          ),
        updateMember: (workspaceId, userId, changes) =>
          sql`
            UPDATE workspace_members SET
              role = COALESCE(${changes.role ?? null}, role),
              status = COALESCE(${changes.status ?? null}, status)
            WHERE workspace_id = ${workspaceId} AND user_id = ${userId}`.pipe(
            Effect.orDie,
            Effect.andThen(requireMember(workspaceId, userId))
          ),
        removeMember: (workspaceId, userId) =>
          sql`DELETE FROM workspace_members WHERE workspace_id = ${workspaceId} AND user_id = ${userId}`.pipe(
            Effect.asVoid,
            Effect.orDie
          ),
        occupancy: (workspaceIds) =>
          Effect.gen(function*() {
            if (workspaceIds.length === 0) return new Map<string, Occupancy>()
            const rows = yield* sql<{
              readonly workspaceId: string
              readonly enabledMembers: number
              readonly totalMembers: number
              readonly pendingInvitations: number
            }>`
              SELECT w.id AS workspace_id,
                (SELECT count(*)::int FROM workspace_members m JOIN users u ON u.id = m.user_id AND NOT u.is_deleted
                 WHERE m.workspace_id = w.id AND m.status = 'ENABLED') AS enabled_members,
                (SELECT count(*)::int FROM workspace_members m JOIN users u ON u.id = m.user_id AND NOT u.is_deleted
                 WHERE m.workspace_id = w.id) AS total_members,
                (SELECT count(*)::int FROM workspace_invitations i
                 WHERE i.workspace_id = w.id AND i.status = 'PENDING' AND i.expires_at > now()) AS pending_invitations
              FROM workspaces w WHERE w.id IN ${sql.in(workspaceIds)}`
            const occupancy = new Map<string, Occupancy>(workspaceIds.map((id) => [id, emptyOccupancy]))
            for (const { workspaceId, ...counts } of rows) occupancy.set(workspaceId, counts)
            return occupancy
          }).pipe(Effect.orDie)
      })
    })
  )
}
