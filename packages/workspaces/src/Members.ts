/**
 * Membership changes: enabling and disabling members against the seats, roles, removal,
 * leaving and ownership transfer. Each change locks the workspace first, so the owner rules
 * (exactly one owner, who can never be disabled, demoted, removed or leave) and the seat count
 * hold under concurrent requests.
 */
import type { MemberRole, MemberStatus } from "@cuebx/contract"
import { transactionWith } from "@cuebx/db"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { Seats, type SeatsExhausted } from "./Seats.ts"
import { type AccessDenied, WorkspaceAccess, type WorkspaceNotFound } from "./WorkspaceAccess.ts"
import { WorkspacesRepo } from "./WorkspacesRepo.ts"
import { type Member, type WorkspaceSummary, WorkspaceViews } from "./WorkspaceViews.ts"

export class MemberNotFound extends Schema.TaggedError<MemberNotFound>()("MemberNotFound", {
  workspaceId: Schema.String,
  userId: Schema.String
}) {}

/** The owner keeps their role and their enabled membership until ownership moves by transfer. */
export class OwnerIsProtected extends Schema.TaggedError<OwnerIsProtected>()("OwnerIsProtected", {
  workspaceId: Schema.String,
  change: Schema.Literals(["disable", "changeRole", "remove", "leave"])
}) {}

/** Making someone owner by changing their role; only a transfer moves ownership. */
export class OwnershipMovesByTransfer extends Schema.TaggedError<OwnershipMovesByTransfer>()(
  "OwnershipMovesByTransfer",
  { workspaceId: Schema.String }
) {}

export class PersonalWorkspaceNotTransferable
  extends Schema.TaggedError<PersonalWorkspaceNotTransferable>()("PersonalWorkspaceNotTransferable", {
    workspaceId: Schema.String
  })
{}

export class NewOwnerNotMember extends Schema.TaggedError<NewOwnerNotMember>()("NewOwnerNotMember", {
  workspaceId: Schema.String,
  userId: Schema.String
}) {}

export class Members extends Context.Service<Members, {
  list(
    userId: string,
    workspaceId: string,
    status: MemberStatus | undefined
  ): Effect.Effect<ReadonlyArray<Member>, AccessDenied>
  setStatus(
    userId: string,
    workspaceId: string,
    targetUserId: string,
    status: MemberStatus
  ): Effect.Effect<Member, AccessDenied | MemberNotFound | OwnerIsProtected | SeatsExhausted>
  setRole(
    userId: string,
    workspaceId: string,
    targetUserId: string,
    role: MemberRole
  ): Effect.Effect<Member, AccessDenied | MemberNotFound | OwnerIsProtected | OwnershipMovesByTransfer>
  remove(
    userId: string,
    workspaceId: string,
    targetUserId: string
  ): Effect.Effect<void, AccessDenied | MemberNotFound | OwnerIsProtected>
  /** A caller who is not (or no longer) a member is told `MemberNotFound`. */
  leave(
    userId: string,
    workspaceId: string
  ): Effect.Effect<void, Exclude<AccessDenied, WorkspaceNotFound> | MemberNotFound | OwnerIsProtected>
  transferOwnership(
    userId: string,
    workspaceId: string,
    newOwnerId: string
  ): Effect.Effect<
    WorkspaceSummary,
    AccessDenied | PersonalWorkspaceNotTransferable | NewOwnerNotMember | SeatsExhausted
  >
}>()("@cuebx/workspaces/Members") {
  static readonly layer = Layer.effect(
    Members,
    Effect.gen(function*() {
      const inTransaction = transactionWith(yield* SqlClient.SqlClient)
      const repo = yield* WorkspacesRepo
      const access = yield* WorkspaceAccess
      const views = yield* WorkspaceViews
      const seats = yield* Seats

      const targetOf = (workspaceId: string, userId: string) =>
        Effect.flatMap(
          repo.membership(workspaceId, userId),
          Option.match({
            onNone: () => Effect.fail(new MemberNotFound({ workspaceId, userId })),
            onSome: Effect.succeed
          })
        )

      return Members.of({
        list: Effect.fn("Members.list")(function*(userId, workspaceId, status) {
          yield* access.authorize(userId, workspaceId, "listMembers")
          return yield* views.members(workspaceId, status)
        }),
        setStatus: Effect.fn("Members.setStatus")(function*(userId, workspaceId, targetUserId, status) {
          const membership = yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, status === "enabled" ? "enableMember" : "disableMember")
            const target = yield* targetOf(workspaceId, targetUserId)
            if (target.role === "owner") {
              if (status === "disabled") return yield* new OwnerIsProtected({ workspaceId, change: "disable" })
              return target
            }
            if (target.status === status) return target
            if (status === "enabled") yield* seats.requireFreeSeat(workspaceId)
            return yield* repo.updateMember(workspaceId, targetUserId, { status })
          }))
          return yield* views.member(membership)
        }),
        setRole: Effect.fn("Members.setRole")(function*(userId, workspaceId, targetUserId, role) {
          const membership = yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "changeRole")
            const target = yield* targetOf(workspaceId, targetUserId)
            if (target.role === "owner") return yield* new OwnerIsProtected({ workspaceId, change: "changeRole" })
            if (role === "owner") return yield* new OwnershipMovesByTransfer({ workspaceId })
            return yield* repo.updateMember(workspaceId, targetUserId, { role })
          }))
          return yield* views.member(membership)
        }),
        remove: Effect.fn("Members.remove")(function*(userId, workspaceId, targetUserId) {
          yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "removeMember")
            const target = yield* targetOf(workspaceId, targetUserId)
            if (target.role === "owner") return yield* new OwnerIsProtected({ workspaceId, change: "remove" })
            yield* repo.removeMember(workspaceId, targetUserId)
          }))
        }),
        leave: Effect.fn("Members.leave")(function*(userId, workspaceId) {
          yield* inTransaction(Effect.gen(function*() {
            const { membership } = yield* access.authorizeChange(userId, workspaceId, "leave").pipe(
              Effect.catchTag("WorkspaceNotFound", () => Effect.fail(new MemberNotFound({ workspaceId, userId })))
            )
            if (membership.role === "owner") return yield* new OwnerIsProtected({ workspaceId, change: "leave" })
            yield* repo.removeMember(workspaceId, userId)
          }))
        }),
        transferOwnership: Effect.fn("Members.transferOwnership")(function*(userId, workspaceId, newOwnerId) {
          const transferred = yield* inTransaction(Effect.gen(function*() {
            const { workspace } = yield* access.authorizeChange(userId, workspaceId, "transferOwnership")
            if (newOwnerId === userId) return workspace
            if (workspace.isPersonal) return yield* new PersonalWorkspaceNotTransferable({ workspaceId })
            const target = yield* repo.membership(workspaceId, newOwnerId)
            if (Option.isNone(target)) return yield* new NewOwnerNotMember({ workspaceId, userId: newOwnerId })
            if (target.value.status === "disabled") yield* seats.requireFreeSeat(workspaceId)
            // Demote first: the database allows one owner per workspace at any moment.
            yield* repo.updateMember(workspaceId, userId, { role: "admin" })
            yield* repo.updateMember(workspaceId, newOwnerId, { role: "owner", status: "enabled" })
            yield* repo.setOwner(workspaceId, newOwnerId)
            return { ...workspace, ownerId: newOwnerId }
          }))
          return yield* views.summary(transferred)
        })
      })
    })
  )
}
