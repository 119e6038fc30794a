/**
 * Who may do what in a workspace: the one policy every workspace-scoped handler goes through.
 * A non-member gets 404 as if the workspace did not exist, a disabled member may only leave, a
 * member below the action's role gets the action's 403, and a frozen or suspended workspace
 * refuses every change that would grow it (changes that only take access away stay allowed).
 */
import { Forbidden, NotFound } from "@cuebx/contract"
import { Context, Effect, Layer } from "effect"
import { type Member, type RoleName, type Workspace, WorkspacesRepo } from "./WorkspacesRepo.ts"

interface Rule {
  readonly minimumRole: RoleName
  /** The 403 detail for a member below `minimumRole` (the reference's wording). */
  readonly forbidden: string
  /** Whether a disabled member may do it (only leaving). */
  readonly disabledMayDo: boolean
  /** Whether it changes the workspace in a way a frozen workspace must refuse. */
  readonly growsWorkspace: boolean
}

const read = (forbidden = "Admin permission required."): Rule => ({
  minimumRole: "MEMBER",
  forbidden,
  disabledMayDo: false,
  growsWorkspace: false
})

const admin = (forbidden: string, growsWorkspace: boolean): Rule => ({
  minimumRole: "ADMIN",
  forbidden,
  disabledMayDo: false,
  growsWorkspace
})

export const workspaceRules = {
  view: read(),
  viewSubscription: read(),
  listMembers: read(),
  listApiKeys: read(),
  update: admin("Only admins can update workspace settings.", true),
  enableMember: admin("Only admins can manage members.", true),
  disableMember: admin("Only admins can manage members.", false),
  removeMember: admin("Only admins can remove members.", false),
  changeRole: {
    minimumRole: "OWNER",
    forbidden: "Only owner can change member roles.",
    disabledMayDo: false,
    growsWorkspace: true
  },
  transferOwnership: {
    minimumRole: "OWNER",
    forbidden: "Only owner can transfer ownership.",
    disabledMayDo: false,
    growsWorkspace: true
  },
  leave: { minimumRole: "MEMBER", forbidden: "", disabledMayDo: true, growsWorkspace: false },
  listInvitations: admin("Admin permission required.", false),
  invite: admin("Only admins can invite members.", true),
  revokeInvitation: admin("Only admins can revoke invitations.", false),
  createApiKey: admin("Admin permission required.", true),
  revokeApiKey: admin("Admin permission required.", false)
} satisfies Record<string, Rule>

export type WorkspaceAction = keyof typeof workspaceRules

const roleRank: Record<RoleName, number> = { MEMBER: 1, ADMIN: 2, OWNER: 3 }

export const accessMessages = {
  notFound: "Workspace not found or access denied.",
  disabled: "Your membership in this workspace is disabled.",
  frozen: "Workspace is frozen. Please renew subscription.",
  suspended: "Workspace is suspended. Please contact support."
} as const

/** What an authorised caller gets: the workspace and their own membership. */
export interface Access {
  readonly workspace: Workspace
  readonly membership: Member
}

/** The decision alone, for a workspace and membership already loaded. */
export const decide = (
  workspace: Workspace | undefined,
  membership: Member | undefined,
  action: WorkspaceAction
): Access | NotFound | Forbidden => {
  if (workspace === undefined || membership === undefined) return new NotFound({ detail: accessMessages.notFound })
  const rule: Rule = workspaceRules[action]
  if (membership.status === "DISABLED" && !rule.disabledMayDo) return new Forbidden({ detail: accessMessages.disabled })
  if (roleRank[membership.role] < roleRank[rule.minimumRole]) return new Forbidden({ detail: rule.forbidden })
  if (rule.growsWorkspace && workspace.status === "FROZEN") return new Forbidden({ detail: accessMessages.frozen })
  if (rule.growsWorkspace && workspace.status === "SUSPENDED") {
    return new Forbidden({ detail: accessMessages.suspended })
  }
  return { workspace, membership }
}

export class WorkspaceAccess extends Context.Service<WorkspaceAccess, {
  /** For reads: no lock. */
  authorize(userId: string, workspaceId: string, action: WorkspaceAction): Effect.Effect<Access, NotFound | Forbidden>
  /**
   * For changes, inside a transaction: locks the workspace first, so the decision and the change
   * see the same members, owner and seats as every concurrent request.
   */
  authorizeChange(
    userId: string,
    workspaceId: string,
    action: WorkspaceAction
  ): Effect.Effect<Access, NotFound | Forbidden>
}>()("@cuebx/workspaces/WorkspaceAccess") {
  static readonly layer = Layer.effect(
    WorkspaceAccess,
    Effect.gen(function*() {
      const repo = yield* WorkspacesRepo
      const check = (
        load: (id: string) => Effect.Effect<Workspace | undefined>,
        userId: string,
        workspaceId: string,
        action: WorkspaceAction
      ) =>
        Effect.gen(function*() {
          const workspace = yield* load(workspaceId)
          const membership = workspace === undefined ? undefined : yield* repo.member(workspaceId, userId)
          const decision = decide(workspace, membership, action)
          return decision instanceof NotFound || decision instanceof Forbidden
            ? yield* Effect.fail(decision)
            : decision
        })
      return WorkspaceAccess.of({
        authorize: (userId, workspaceId, action) => check(repo.find, userId, workspaceId, action),
        authorizeChange: (userId, workspaceId, action) => check(repo.lock, userId, workspaceId, action)
      })
    })
  )
}
