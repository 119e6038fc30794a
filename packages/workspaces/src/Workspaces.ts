/**
 * Workspaces themselves: my list, creating a team workspace, reading one with its members,
 * changing its settings, and the personal workspace on the API Free plan that every verified
 * user gets exactly once (at provisioning, or through `activate`).
 */
import { Subscriptions } from "@cuebx/billing"
import type { MemberRole } from "@cuebx/contract"
import { transactionWith } from "@cuebx/db"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { type AccessDenied, WorkspaceAccess } from "./WorkspaceAccess.ts"
import { type SlugTaken, type Workspace, WorkspacesRepo } from "./WorkspacesRepo.ts"
import { type WorkspaceDetail, type WorkspaceSummary, WorkspaceViews } from "./WorkspaceViews.ts"

const maxNameLength = 128
const personalSuffix = "'s Workspace"

/** `"{full name or the email's local part}'s Workspace"`, within the name limit. */
export const personalWorkspaceName = (fullName: string | null, email: string): string => {
  const owner = fullName?.trim() || email.split("@")[0] || "My"
  return `${owner.slice(0, maxNameLength - personalSuffix.length)}${personalSuffix}`
}

export interface WorkspaceOwner {
  readonly id: string
  readonly email: string
  readonly fullName: string | null
}

export class Workspaces extends Context.Service<Workspaces, {
  listMine(userId: string, role: MemberRole | undefined): Effect.Effect<ReadonlyArray<WorkspaceSummary>>
  create(
    userId: string,
    input: { readonly displayName: string; readonly description: string | null }
  ): Effect.Effect<WorkspaceDetail>
  detail(userId: string, workspaceId: string): Effect.Effect<WorkspaceDetail, AccessDenied>
  update(
    userId: string,
    workspaceId: string,
    changes: { readonly displayName?: string; readonly slug?: string; readonly description?: string | null }
  ): Effect.Effect<WorkspaceSummary, AccessDenied | SlugTaken>
  /** The personal workspace on the API Free plan, created if missing; run inside the caller's transaction. */
  ensurePersonal(owner: WorkspaceOwner): Effect.Effect<Workspace>
  /** `ensurePersonal` in its own transaction. */
  activatePersonal(owner: WorkspaceOwner): Effect.Effect<WorkspaceSummary>
}>()("@cuebx/workspaces/Workspaces") {
  static readonly layer = Layer.effect(
    Workspaces,
    Effect.gen(function*() {
      const inTransaction = transactionWith(yield* SqlClient.SqlClient)
      const repo = yield* WorkspacesRepo
      const access = yield* WorkspaceAccess
      const views = yield* WorkspaceViews
      const subscriptions = yield* Subscriptions

      const ensurePersonal = Effect.fn("Workspaces.ensurePersonal")(function*(owner: WorkspaceOwner) {
        // Serialises concurrent calls for one user; the unique index on personal workspaces is the backstop.
        yield* repo.lockPersonalOf(owner.id)
        const existing = yield* repo.personalOf(owner.id)
        const workspace = Option.isSome(existing) ? existing.value : yield* repo.create({
          displayName: personalWorkspaceName(owner.fullName, owner.email),
          description: null,
          ownerId: owner.id,
          isPersonal: true
        })
        yield* subscriptions.startFreeApi(workspace.id)
        return workspace
      })

      return Workspaces.of({
        listMine: Effect.fn("Workspaces.listMine")(function*(userId, role) {
          return yield* views.summaries(yield* repo.listForUser(userId, role))
        }),
        create: Effect.fn("Workspaces.create")(function*(userId, input) {
          const workspace = yield* inTransaction(repo.create({ ...input, ownerId: userId, isPersonal: false }))
          return yield* views.detail(workspace)
        }),
        detail: Effect.fn("Workspaces.detail")(function*(userId, workspaceId) {
          const { workspace } = yield* access.authorize(userId, workspaceId, "view")
          return yield* views.detail(workspace)
        }),
        update: Effect.fn("Workspaces.update")(function*(userId, workspaceId, changes) {
          const updated = yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "update")
            return yield* repo.update(workspaceId, changes)
          }))
          return yield* views.summary(updated)
        }),
        ensurePersonal,
        activatePersonal: Effect.fn("Workspaces.activatePersonal")(function*(owner) {
          return yield* views.summary(yield* inTransaction(ensurePersonal(owner)))
        })
      })
    })
  )
}
