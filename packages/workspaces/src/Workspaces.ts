/**
 * Workspaces themselves: my list, creating a team workspace, reading one with its members,
 * changing its settings, and the personal workspace on the API Free plan that every verified
 * user gets exactly once (at provisioning, or through `activate`).
 */
import { Subscriptions } from "@cuebx/billing"
import {
  Conflict,
  type Forbidden,
  type NotFound,
  type WorkspaceDetailResponse,
  type WorkspaceResponse
} from "@cuebx/contract"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { WorkspaceAccess } from "./WorkspaceAccess.ts"
import { type RoleName, type Workspace, WorkspacesRepo } from "./WorkspacesRepo.ts"
import { memberResponse, WorkspaceViews } from "./WorkspaceViews.ts"

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
  listMine(userId: string, role: RoleName | undefined): Effect.Effect<ReadonlyArray<WorkspaceResponse>>
  create(
    userId: string,
    input: { readonly displayName: string; readonly description: string | null }
  ): Effect.Effect<WorkspaceDetailResponse>
  detail(userId: string, workspaceId: string): Effect.Effect<WorkspaceDetailResponse, NotFound | Forbidden>
  update(
    userId: string,
    workspaceId: string,
    changes: { readonly displayName?: string; readonly slug?: string; readonly description?: string | null }
  ): Effect.Effect<WorkspaceResponse, NotFound | Forbidden | Conflict>
  /** The personal workspace on the API Free plan, created if missing; run inside the caller's transaction. */
  ensurePersonal(owner: WorkspaceOwner): Effect.Effect<Workspace>
  /** `ensurePersonal` in its own transaction, described. */
  activatePersonal(owner: WorkspaceOwner): Effect.Effect<WorkspaceResponse>
}>()("@cuebx/workspaces/Workspaces") {
  static readonly layer = Layer.effect(
    Workspaces,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* WorkspacesRepo
      const access = yield* WorkspaceAccess
      const views = yield* WorkspaceViews
      const subscriptions = yield* Subscriptions

      const detailOf = (workspace: Workspace) =>
        Effect.gen(function*() {
          const view = yield* views.describeOne(workspace)
          const members = yield* repo.members(workspace.id, undefined)
          return { ...view, members: members.map(memberResponse) }
        })

      const ensurePersonal = Effect.fn("Workspaces.ensurePersonal")(function*(owner: WorkspaceOwner) {
        // Serialises concurrent calls for one user; the unique index on personal workspaces is the backstop.
        yield* sql`SELECT id FROM users WHERE id = ${owner.id} FOR UPDATE`.pipe(Effect.orDie)
        const workspace = (yield* repo.personalOf(owner.id)) ?? (yield* repo.create({
          displayName: personalWorkspaceName(owner.fullName, owner.email),
          description: null,
          ownerId: owner.id,
          isPersonal: true
        }))
        yield* subscriptions.startFreeApi(workspace.id)
        return workspace
      })

      return Workspaces.of({
        listMine: Effect.fn("Workspaces.listMine")(function*(userId: string, role: RoleName | undefined) {
          return yield* views.describe(yield* repo.listForUser(userId, role))
        }),
        create: Effect.fn("Workspaces.create")(function*(userId, input) {
          const workspace = yield* sql.withTransaction(
            repo.create({ ...input, ownerId: userId, isPersonal: false })
          ).pipe(Effect.orDie)
          return yield* detailOf(workspace)
        }),
        detail: Effect.fn("Workspaces.detail")(function*(userId, workspaceId) {
          const { workspace } = yield* access.authorize(userId, workspaceId, "view")
          return yield* detailOf(workspace)
        }),
        update: Effect.fn("Workspaces.update")(function*(userId, workspaceId, changes) {
          const updated = yield* sql.withTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "update")
            return yield* repo.update(workspaceId, changes).pipe(
              Effect.catchTag("SlugTaken", () => Effect.fail(new Conflict({ detail: "Slug already in use." })))
            )
          })).pipe(Effect.catchTag("SqlError", Effect.die))
          return yield* views.describeOne(updated)
        }),
        ensurePersonal,
        activatePersonal: Effect.fn("Workspaces.activatePersonal")(function*(owner) {
          const workspace = yield* sql.withTransaction(ensurePersonal(owner)).pipe(Effect.orDie)
          return yield* views.describeOne(workspace)
        })
      })
    })
  )
}
