/**
 * Who may do what in a workspace: the one policy every workspace-scoped service goes through.
 * A non-member is told the workspace does not exist, a disabled member may only leave, a member
 * below the action's role is refused, and a frozen or suspended workspace refuses every change
 * that would grow it (changes that only take access away stay allowed). The wire texts of these
 * refusals are the HTTP layer's (`http/WorkspaceErrors.ts`).
 */
import type { MemberRole } from "@cuebx/contract"
import { Context, Effect, Layer, Option, Result, Schema } from "effect"
import { type Membership, type Workspace, type WorkspaceMembership, WorkspacesRepo } from "./WorkspacesRepo.ts"

export const WorkspaceAction = Schema.Literals([
  "view",
  "viewSubscription",
  "listMembers",
  "listApiKeys",
  "update",
  "enableMember",
  "disableMember",
  "removeMember",
  "changeRole",
  "transferOwnership",
  "leave",
  "listInvitations",
  "invite",
  "revokeInvitation",
  "createApiKey",
  "revokeApiKey",
  "checkout",
  "changeSeats",
  "cancelSubscription",
  "reactivate",
  "previewUpgrade",
  "upgrade",
  "viewPayments",
  "openBillingPortal"
])
export type WorkspaceAction = typeof WorkspaceAction.Type

interface Rule {
  readonly minimumRole: MemberRole
  /** Whether a disabled member may do it (only leaving). */
  readonly disabledMayDo: boolean
  /** Whether it changes the workspace in a way a frozen or suspended workspace must refuse. */
  readonly growsWorkspace: boolean
}

const read: Rule = { minimumRole: "member", disabledMayDo: false, growsWorkspace: false }
const admin = (growsWorkspace: boolean): Rule => ({ minimumRole: "admin", disabledMayDo: false, growsWorkspace })
const owner: Rule = { minimumRole: "owner", disabledMayDo: false, growsWorkspace: true }
/** Billing recovery: what brings a frozen workspace back is allowed on it. */
const recovery = (minimumRole: MemberRole): Rule => ({ minimumRole, disabledMayDo: false, growsWorkspace: false })

export const workspaceRules: Readonly<Record<WorkspaceAction, Rule>> = {
  view: read,
  viewSubscription: read,
  listMembers: read,
  listApiKeys: read,
  update: admin(true),
  enableMember: admin(true),
  disableMember: admin(false),
  removeMember: admin(false),
  changeRole: owner,
  transferOwnership: owner,
  leave: { minimumRole: "member", disabledMayDo: true, growsWorkspace: false },
  listInvitations: admin(false),
  invite: admin(true),
  revokeInvitation: admin(false),
  createApiKey: admin(true),
  revokeApiKey: admin(false),
  checkout: recovery("admin"),
  changeSeats: admin(true),
  cancelSubscription: recovery("owner"),
  reactivate: recovery("owner"),
  previewUpgrade: admin(false),
  upgrade: admin(true),
  viewPayments: admin(false),
  openBillingPortal: recovery("admin")
}

const roleRank: Readonly<Record<MemberRole, number>> = { member: 1, admin: 2, owner: 3 }

/** No such workspace, or the caller is not a member of it: the two are told apart by no one. */
export class WorkspaceNotFound extends Schema.TaggedError<WorkspaceNotFound>()("WorkspaceNotFound", {
  workspaceId: Schema.String
}) {}

export class MembershipDisabled extends Schema.TaggedError<MembershipDisabled>()("MembershipDisabled", {
  workspaceId: Schema.String
}) {}

export class InsufficientRole extends Schema.TaggedError<InsufficientRole>()("InsufficientRole", {
  workspaceId: Schema.String,
  action: WorkspaceAction
}) {}

/** The subscription lapsed: nothing may grow the workspace until it is renewed. */
export class WorkspaceFrozen extends Schema.TaggedError<WorkspaceFrozen>()("WorkspaceFrozen", {
  workspaceId: Schema.String
}) {}

/** Suspended by CueBX: nothing may grow the workspace until support lifts it. */
export class WorkspaceSuspended extends Schema.TaggedError<WorkspaceSuspended>()("WorkspaceSuspended", {
  workspaceId: Schema.String
}) {}

export type AccessDenied =
  | WorkspaceNotFound
  | MembershipDisabled
  | InsufficientRole
  | WorkspaceFrozen
  | WorkspaceSuspended

/** What an authorised caller gets: the workspace and their own membership. */
export interface Access {
  readonly workspace: Workspace
  readonly membership: Membership
}

/** Refuses a change that would grow a frozen or suspended workspace. */
export const requireGrowable = (workspace: Workspace): Result.Result<Workspace, WorkspaceFrozen | WorkspaceSuspended> =>
  workspace.status === "frozen"
    ? Result.fail(new WorkspaceFrozen({ workspaceId: workspace.id }))
    : workspace.status === "suspended"
    ? Result.fail(new WorkspaceSuspended({ workspaceId: workspace.id }))
    : Result.succeed(workspace)

/** The decision alone, for the workspace with the caller's membership (`None`: not a member). */
export const decide = (
  workspaceId: string,
  found: Option.Option<WorkspaceMembership>,
  action: WorkspaceAction
): Result.Result<Access, AccessDenied> => {
  if (Option.isNone(found)) return Result.fail(new WorkspaceNotFound({ workspaceId }))
  const { membership, workspace } = found.value
  const rule = workspaceRules[action]
  if (membership.status === "disabled" && !rule.disabledMayDo) {
    return Result.fail(new MembershipDisabled({ workspaceId }))
  }
  if (roleRank[membership.role] < roleRank[rule.minimumRole]) {
    return Result.fail(new InsufficientRole({ workspaceId, action }))
  }
  if (rule.growsWorkspace) {
    const growable = requireGrowable(workspace)
    if (Result.isFailure(growable)) return Result.fail(growable.failure)
  }
  return Result.succeed({ workspace, membership })
}

export class WorkspaceAccess extends Context.Service<WorkspaceAccess, {
  /** For reads: no lock. One query (the workspace with the caller's membership). */
  authorize(userId: string, workspaceId: string, action: WorkspaceAction): Effect.Effect<Access, AccessDenied>
  /**
   * For changes, inside a transaction: locks the workspace (and the caller's membership) first, so
   * the decision and the change see the same members, owner and seats as every concurrent request.
   */
  authorizeChange(userId: string, workspaceId: string, action: WorkspaceAction): Effect.Effect<Access, AccessDenied>
}>()("@cuebx/workspaces/WorkspaceAccess") {
  static readonly layer = Layer.effect(
    WorkspaceAccess,
    Effect.gen(function*() {
      const repo = yield* WorkspacesRepo
      const check = (lock: boolean, userId: string, workspaceId: string, action: WorkspaceAction) =>
        Effect.flatMap(
          repo.withMembership(workspaceId, userId, { lock }),
          (found) => Effect.fromResult(decide(workspaceId, found, action))
        )
      return WorkspaceAccess.of({
        authorize: Effect.fn("WorkspaceAccess.authorize")(function*(userId, workspaceId, action) {
          return yield* check(false, userId, workspaceId, action)
        }),
        authorizeChange: Effect.fn("WorkspaceAccess.authorizeChange")(function*(userId, workspaceId, action) {
          return yield* check(true, userId, workspaceId, action)
        })
      })
    })
  )
}
