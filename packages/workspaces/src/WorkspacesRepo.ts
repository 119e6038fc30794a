/**
 * The only SQL on `workspaces` and `workspace_members`, every row decoded. Memberships of deleted
 * accounts (flagged by `markAccountDeleted`, in the deletion's transaction) are invisible and hold
 * no seat. Mutations are meant to run in a transaction that first locked the workspace (`lock`,
 * `withMembership` with `lock`), which serialises every change to one workspace.
 */
import { MemberRole, MemberStatus, WorkspaceStatus } from "@cuebx/contract"
import { TimestampColumn, UpperCaseEnum } from "@cuebx/db"
import { Context, type DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

/** Stored as `'OWNER'`; `"owner"` in code and on the wire. */
export const RoleColumn = UpperCaseEnum(MemberRole.literals)
export const MemberStatusColumn = UpperCaseEnum(MemberStatus.literals)
export const WorkspaceStatusColumn = UpperCaseEnum(WorkspaceStatus.literals)

export const Workspace = Schema.Struct({
  id: Schema.String,
  displayName: Schema.String,
  slug: Schema.String,
  ownerId: Schema.String,
  status: WorkspaceStatusColumn,
  isPersonal: Schema.Boolean,
  description: Schema.NullOr(Schema.String),
  createdAt: TimestampColumn
})
export type Workspace = typeof Workspace.Type

/** A user's membership of a workspace (who they are is auth's business). */
export const Membership = Schema.Struct({
  id: Schema.String,
  workspaceId: Schema.String,
  userId: Schema.String,
  role: RoleColumn,
  status: MemberStatusColumn,
  joinedAt: TimestampColumn
})
export type Membership = typeof Membership.Type

/** Seats in use: enabled members and the pending invitations that reserve one. */
export const Occupancy = Schema.Struct({
  enabledMembers: Schema.Int,
  totalMembers: Schema.Int,
  pendingInvitations: Schema.Int
})
export type Occupancy = typeof Occupancy.Type

/** A workspace with one member's membership, read in one query. */
export interface WorkspaceMembership {
  readonly workspace: Workspace
  readonly membership: Membership
}

export class SlugTaken extends Schema.TaggedError<SlugTaken>()("SlugTaken", { slug: Schema.String }) {}

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

/** The occupancy of a workspace nobody is in. */
export const noOccupancy: Occupancy = { enabledMembers: 0, totalMembers: 0, pendingInvitations: 0 }

const NewWorkspace = Schema.Struct({
  displayName: Schema.String,
  slug: Schema.String,
  ownerId: Schema.String,
  isPersonal: Schema.Boolean,
  description: Schema.NullOr(Schema.String)
})

const WorkspaceMembershipRow = Schema.Struct({
  ...Workspace.fields,
  memberId: Schema.String,
  memberRole: RoleColumn,
  memberStatus: MemberStatusColumn,
  memberJoinedAt: TimestampColumn
})

const MembershipKey = Schema.Struct({ workspaceId: Schema.String, userId: Schema.String })

const MembershipWrite = Schema.Struct({
  workspaceId: Schema.String,
  userId: Schema.String,
  role: Schema.NullOr(RoleColumn),
  status: Schema.NullOr(MemberStatusColumn)
})

const OccupancyRow = Schema.Struct({ workspaceId: Schema.String, ...Occupancy.fields })

export class WorkspacesRepo extends Context.Service<WorkspacesRepo, {
  /** Locks the workspace row until the transaction ends. */
  lock(id: string): Effect.Effect<Option.Option<Workspace>>
  /**
   * The workspace with `userId`'s membership, in one query; `None` if either does not exist.
   * With `lock`, both rows are locked until the transaction ends.
   */
  withMembership(
    workspaceId: string,
    userId: string,
    options: { readonly lock: boolean }
  ): Effect.Effect<Option.Option<WorkspaceMembership>>
  /**
   * Holds a transaction-scoped advisory lock on the user's personal workspace (a key in this
   * package's namespace), so concurrent activations create it once.
   */
  lockPersonalOf(userId: string): Effect.Effect<void>
  personalOf(userId: string): Effect.Effect<Option.Option<Workspace>>
  /** Workspaces where the user's membership is enabled, oldest first. */
  listForUser(userId: string, role: MemberRole | undefined): Effect.Effect<ReadonlyArray<Workspace>>
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
  setOwner(id: string, ownerId: string): Effect.Effect<void>
  membership(workspaceId: string, userId: string): Effect.Effect<Option.Option<Membership>>
  memberships(workspaceId: string, status: MemberStatus | undefined): Effect.Effect<ReadonlyArray<Membership>>
  addMember(workspaceId: string, userId: string, role: MemberRole): Effect.Effect<Membership>
  updateMember(
    workspaceId: string,
    userId: string,
    changes: { readonly role?: MemberRole; readonly status?: MemberStatus }
  ): Effect.Effect<Membership>
  removeMember(workspaceId: string, userId: string): Effect.Effect<void>
  /** Hides every membership of a deleted account: they no longer show, count or hold a seat. */
  markAccountDeleted(userId: string): Effect.Effect<void>
  /** Members and the invitations still pending at `now`, for each of the workspaces. */
  occupancy(workspaceIds: ReadonlyArray<string>, now: DateTime.Utc): Effect.Effect<ReadonlyMap<string, Occupancy>>
  /** Sets the status; a suspended workspace stays suspended (only support lifts that). Returns whether it changed. */
  setStatus(id: string, status: "active" | "frozen"): Effect.Effect<boolean>
  /** Disables enabled members beyond the first `keep` (the owner first, then by joining), marked as billing's doing. */
  suspendMembersBeyond(workspaceId: string, keep: number): Effect.Effect<void>
  /** Enables up to `count` members billing suspended, earliest joined first. */
  restoreSuspendedMembers(workspaceId: string, count: number): Effect.Effect<void>
  /** Memberships among `ids`, each a membership id or a member's user id. */
  membershipsAmong(workspaceId: string, ids: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Membership>>
  enableMemberships(membershipIds: ReadonlyArray<string>): Effect.Effect<void>
}>()("@cuebx/workspaces/WorkspacesRepo") {
  static readonly layer = Layer.effect(
    WorkspacesRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const lockById = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Workspace,
        execute: (id) => sql`SELECT * FROM workspaces WHERE id = ${id} AND NOT is_deleted FOR UPDATE`
      })
      const withMembershipOf = (lock: boolean) =>
        SqlSchema.findOneOption({
          Request: MembershipKey,
          Result: WorkspaceMembershipRow,
          execute: ({ userId, workspaceId }) =>
            // Locking the membership too (after the workspace, in this order) makes a request that
            // waited for the lock see the membership as the request before it left it: a row only
            // locked, not read under the lock, would come from the snapshot taken before the wait.
            sql`
              SELECT w.*, m.id AS member_id, m.role AS member_role, m.status AS member_status,
                m.joined_at AS member_joined_at
              FROM workspaces w
              JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = ${userId} AND NOT m.account_deleted
              WHERE w.id = ${workspaceId} AND NOT w.is_deleted
              ${lock ? sql`FOR UPDATE OF w, m` : sql``}`
        })
      const readWithMembership = withMembershipOf(false)
      const lockWithMembership = withMembershipOf(true)
      const advisoryLock = SqlSchema.void({
        Request: Schema.String,
        execute: (key) => sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`
      })
      const personalById = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Workspace,
        execute: (userId) => sql`SELECT * FROM workspaces WHERE owner_id = ${userId} AND is_personal AND NOT is_deleted`
      })
      const forUser = SqlSchema.findAll({
        Request: Schema.Struct({ userId: Schema.String, role: Schema.NullOr(RoleColumn) }),
        Result: Workspace,
        execute: ({ role, userId }) =>
          sql`
            SELECT w.* FROM workspaces w
            JOIN workspace_members m ON m.workspace_id = w.id
            WHERE m.user_id = ${userId} AND m.status = 'ENABLED' AND NOT m.account_deleted AND NOT w.is_deleted
              ${role === null ? sql`` : sql`AND m.role = ${role}`}
            ORDER BY w.created_at, w.id`
      })
      const slugsLike = SqlSchema.findAll({
        Request: Schema.String,
        Result: Schema.Struct({ slug: Schema.String }),
        execute: (base) => sql`SELECT slug FROM workspaces WHERE slug = ${base} OR slug LIKE ${`${base}-%`}`
      })
      // ON CONFLICT keeps a lost slug race from aborting the transaction: no row means "taken".
      const insertWorkspace = SqlSchema.findOneOption({
        Request: NewWorkspace,
        Result: Workspace,
        execute: (row) => sql`INSERT INTO workspaces ${sql.insert(row)} ON CONFLICT (slug) DO NOTHING RETURNING *`
      })
      const updateWorkspace = SqlSchema.findOne({
        Request: Schema.Struct({
          id: Schema.String,
          displayName: Schema.NullOr(Schema.String),
          slug: Schema.NullOr(Schema.String),
          changesDescription: Schema.Boolean,
          description: Schema.NullOr(Schema.String)
        }),
        Result: Workspace,
        execute: (changes) =>
          sql`
            UPDATE workspaces SET
              display_name = COALESCE(${changes.displayName}, display_name),
              slug = COALESCE(${changes.slug}, slug),
              description = ${changes.changesDescription ? sql`${changes.description}` : sql`description`}
            WHERE id = ${changes.id}
            RETURNING *`
      })
      const updateOwner = SqlSchema.void({
        Request: Schema.Struct({ id: Schema.String, ownerId: Schema.String }),
        execute: ({ id, ownerId }) => sql`UPDATE workspaces SET owner_id = ${ownerId} WHERE id = ${id}`
      })
      const membershipOf = SqlSchema.findOneOption({
        Request: MembershipKey,
        Result: Membership,
        execute: ({ userId, workspaceId }) =>
          sql`
            SELECT * FROM workspace_members
            WHERE workspace_id = ${workspaceId} AND user_id = ${userId} AND NOT account_deleted`
      })
      const membershipsOf = SqlSchema.findAll({
        Request: Schema.Struct({ workspaceId: Schema.String, status: Schema.NullOr(MemberStatusColumn) }),
        Result: Membership,
        execute: ({ status, workspaceId }) =>
          sql`
            SELECT * FROM workspace_members
            WHERE workspace_id = ${workspaceId} AND NOT account_deleted
              ${status === null ? sql`` : sql`AND status = ${status}`}
            ORDER BY joined_at, id`
      })
      const insertMember = SqlSchema.findOne({
        Request: Schema.Struct({ workspaceId: Schema.String, userId: Schema.String, role: RoleColumn }),
        Result: Membership,
        execute: (row) => sql`INSERT INTO workspace_members ${sql.insert(row)} RETURNING *`
      })
      const updateMembership = SqlSchema.findOne({
        Request: MembershipWrite,
        Result: Membership,
        execute: ({ role, status, userId, workspaceId }) =>
          // An admin's choice of status replaces billing's suspension.
          sql`
            UPDATE workspace_members SET role = COALESCE(${role}, role), status = COALESCE(${status}, status),
              suspended_by_billing = suspended_by_billing AND ${status}::text IS NULL
            WHERE workspace_id = ${workspaceId} AND user_id = ${userId} AND NOT account_deleted
            RETURNING *`
      })
      const deleteMembership = SqlSchema.void({
        Request: MembershipKey,
        execute: ({ userId, workspaceId }) =>
          sql`DELETE FROM workspace_members WHERE workspace_id = ${workspaceId} AND user_id = ${userId}`
      })
      const flagAccountDeleted = SqlSchema.void({
        Request: Schema.String,
        execute: (userId) => sql`UPDATE workspace_members SET account_deleted = true WHERE user_id = ${userId}`
      })
      const occupancyOf = SqlSchema.findAll({
        Request: Schema.Struct({ ids: Schema.Array(Schema.String), now: TimestampColumn }),
        Result: OccupancyRow,
        execute: ({ ids, now }) =>
          sql`
            SELECT w.id AS workspace_id,
              (SELECT count(*)::int FROM workspace_members m
               WHERE m.workspace_id = w.id AND m.status = 'ENABLED' AND NOT m.account_deleted) AS enabled_members,
              (SELECT count(*)::int FROM workspace_members m
               WHERE m.workspace_id = w.id AND NOT m.account_deleted) AS total_members,
              (SELECT count(*)::int FROM workspace_invitations i
               WHERE i.workspace_id = w.id AND i.status = 'PENDING' AND i.expires_at > ${now}) AS pending_invitations
            FROM workspaces w WHERE w.id IN ${sql.in(ids)}`
      })

      const updateStatus = SqlSchema.findAll({
        Request: Schema.Struct({ id: Schema.String, status: WorkspaceStatusColumn }),
        Result: Schema.Struct({ id: Schema.String }),
        execute: ({ id, status }) =>
          sql`
            UPDATE workspaces SET status = ${status}
            WHERE id = ${id} AND status <> ${status} AND status <> 'SUSPENDED' RETURNING id`
      })
      const suspendBeyond = SqlSchema.void({
        Request: Schema.Struct({ workspaceId: Schema.String, keep: Schema.Int }),
        execute: ({ keep, workspaceId }) =>
          sql`
            UPDATE workspace_members SET status = 'DISABLED', suspended_by_billing = true
            WHERE id IN (
              SELECT id FROM workspace_members
              WHERE workspace_id = ${workspaceId} AND status = 'ENABLED' AND NOT account_deleted
              ORDER BY role = 'OWNER' DESC, joined_at, id OFFSET ${keep})
              AND role <> 'OWNER'`
      })
      const restoreSuspended = SqlSchema.void({
        Request: Schema.Struct({ workspaceId: Schema.String, count: Schema.Int }),
        execute: ({ count, workspaceId }) =>
          sql`
            UPDATE workspace_members SET status = 'ENABLED', suspended_by_billing = false
            WHERE id IN (
              SELECT id FROM workspace_members
              WHERE workspace_id = ${workspaceId} AND suspended_by_billing AND status = 'DISABLED' AND NOT account_deleted
              ORDER BY joined_at, id LIMIT ${count})`
      })
      const among = SqlSchema.findAll({
        Request: Schema.Struct({ workspaceId: Schema.String, ids: Schema.Array(Schema.String) }),
        Result: Membership,
        execute: ({ ids, workspaceId }) =>
          sql`
            SELECT * FROM workspace_members
            WHERE workspace_id = ${workspaceId} AND NOT account_deleted
              AND (id IN ${sql.in(ids)} OR user_id IN ${sql.in(ids)})`
      })
      const enableByIds = SqlSchema.void({
        Request: Schema.Array(Schema.String),
        execute: (ids) =>
          sql`UPDATE workspace_members SET status = 'ENABLED', suspended_by_billing = false WHERE id IN ${sql.in(ids)}`
      })

      /** Tries `ws-name`, then `ws-name-1`, `-2`…, skipping the slugs already used. */
      const insertWithUniqueSlug = Effect.fn("WorkspacesRepo.insertWithUniqueSlug")(function*(input: {
        readonly displayName: string
        readonly description: string | null
        readonly ownerId: string
        readonly isPersonal: boolean
      }) {
        const base = `ws-${slugify(input.displayName).slice(0, maxBaseLength).replace(/-+$/, "")}`
        const used = new Set((yield* slugsLike(base)).map((row) => row.slug))
        let suffix = 0
        for (let attempt = 0; attempt < 50; attempt++) {
          while (used.has(suffix === 0 ? base : `${base}-${suffix}`)) suffix++
          const slug = suffix === 0 ? base : `${base}-${suffix}`
          const inserted = yield* insertWorkspace({ ...input, slug })
          if (Option.isSome(inserted)) return inserted.value
          used.add(slug)
        }
        return yield* Effect.die(`no free slug for ${base} after 50 attempts`)
      })

      return WorkspacesRepo.of({
        lock: Effect.fn("WorkspacesRepo.lock")(function*(id) {
          return yield* lockById(id)
        }, Effect.orDie),
        withMembership: Effect.fn("WorkspacesRepo.withMembership")(function*(workspaceId, userId, options) {
          const row = yield* (options.lock ? lockWithMembership : readWithMembership)({ workspaceId, userId })
          return Option.map(row, ({ memberId, memberJoinedAt, memberRole, memberStatus, ...workspace }) => ({
            workspace,
            membership: {
              id: memberId,
              workspaceId,
              userId,
              role: memberRole,
              status: memberStatus,
              joinedAt: memberJoinedAt
            }
          }))
        }, Effect.orDie),
        lockPersonalOf: Effect.fn("WorkspacesRepo.lockPersonalOf")(function*(userId) {
          yield* advisoryLock(`@cuebx/workspaces/personal-workspace:${userId}`)
        }, Effect.orDie),
        personalOf: Effect.fn("WorkspacesRepo.personalOf")(function*(userId) {
          return yield* personalById(userId)
        }, Effect.orDie),
        listForUser: Effect.fn("WorkspacesRepo.listForUser")(function*(userId, role) {
          return yield* forUser({ userId, role: role ?? null })
        }, Effect.orDie),
        create: Effect.fn("WorkspacesRepo.create")(function*(input) {
          const workspace = yield* insertWithUniqueSlug(input)
          yield* insertMember({ workspaceId: workspace.id, userId: input.ownerId, role: "owner" })
          return workspace
        }, Effect.orDie),
        update: Effect.fn("WorkspacesRepo.update")(function*(id, changes) {
          return yield* updateWorkspace({
            id,
            displayName: changes.displayName ?? null,
            slug: changes.slug ?? null,
            changesDescription: changes.description !== undefined,
            description: changes.description ?? null
          }).pipe(
            // The slug is the only unique column a settings change can collide on.
            Effect.catchReason(
              "SqlError",
              "UniqueViolation",
              () => Effect.fail(new SlugTaken({ slug: changes.slug ?? "" }))
            )
          )
        }, Effect.catchTag(["SqlError", "SchemaError", "NoSuchElementError"], Effect.die)),
        setOwner: Effect.fn("WorkspacesRepo.setOwner")(function*(id, ownerId) {
          yield* updateOwner({ id, ownerId })
        }, Effect.orDie),
        membership: Effect.fn("WorkspacesRepo.membership")(function*(workspaceId, userId) {
          return yield* membershipOf({ workspaceId, userId })
        }, Effect.orDie),
        memberships: Effect.fn("WorkspacesRepo.memberships")(function*(workspaceId, status) {
          return yield* membershipsOf({ workspaceId, status: status ?? null })
        }, Effect.orDie),
        addMember: Effect.fn("WorkspacesRepo.addMember")(function*(workspaceId, userId, role) {
          return yield* insertMember({ workspaceId, userId, role })
        }, Effect.orDie),
        updateMember: Effect.fn("WorkspacesRepo.updateMember")(function*(workspaceId, userId, changes) {
          return yield* updateMembership({
            workspaceId,
            userId,
            role: changes.role ?? null,
            status: changes.status ?? null
          })
        }, Effect.orDie),
        removeMember: Effect.fn("WorkspacesRepo.removeMember")(function*(workspaceId, userId) {
          yield* deleteMembership({ workspaceId, userId })
        }, Effect.orDie),
        markAccountDeleted: Effect.fn("WorkspacesRepo.markAccountDeleted")(function*(userId) {
          yield* flagAccountDeleted(userId)
        }, Effect.orDie),
        occupancy: Effect.fn("WorkspacesRepo.occupancy")(function*(workspaceIds, now) {
          if (workspaceIds.length === 0) return new Map<string, Occupancy>()
          const rows = yield* occupancyOf({ ids: workspaceIds, now })
          const occupancy = new Map<string, Occupancy>(workspaceIds.map((id) => [id, noOccupancy]))
          for (const { workspaceId, ...counts } of rows) occupancy.set(workspaceId, counts)
          return occupancy
        }, Effect.orDie),
        setStatus: Effect.fn("WorkspacesRepo.setStatus")(function*(id, status) {
          return (yield* updateStatus({ id, status })).length > 0
        }, Effect.orDie),
        suspendMembersBeyond: Effect.fn("WorkspacesRepo.suspendMembersBeyond")(function*(workspaceId, keep) {
          yield* suspendBeyond({ workspaceId, keep })
        }, Effect.orDie),
        restoreSuspendedMembers: Effect.fn("WorkspacesRepo.restoreSuspendedMembers")(function*(workspaceId, count) {
          if (count > 0) yield* restoreSuspended({ workspaceId, count })
        }, Effect.orDie),
        membershipsAmong: Effect.fn("WorkspacesRepo.membershipsAmong")(function*(workspaceId, ids) {
          return ids.length === 0 ? [] : yield* among({ workspaceId, ids })
        }, Effect.orDie),
        enableMemberships: Effect.fn("WorkspacesRepo.enableMemberships")(function*(membershipIds) {
          if (membershipIds.length > 0) yield* enableByIds(membershipIds)
        }, Effect.orDie)
      })
    })
  )
}
