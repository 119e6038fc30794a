/**
 * Membership changes: enabling and disabling members against the seats, roles, removal,
 * leaving and ownership transfer. Each change locks the workspace first, so the owner rules
 * (exactly one owner, who can never be removed, demoted or leave) and the seat count hold under
 * concurrent requests.
 */
import {
  Forbidden,
  NotFound,
  PaymentRequired,
  type WorkspaceMemberResponse,
  type WorkspaceResponse
} from "@cuebx/contract"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { WorkspaceAccess } from "./WorkspaceAccess.ts"
import { type MemberStatusName, type RoleName, WorkspacesRepo } from "./WorkspacesRepo.ts"
import { memberResponse, seatBalance, WorkspaceViews } from "./WorkspaceViews.ts"

export const memberMessages = {
  removed: "Member removed successfully.",
  left: "Successfully left workspace."
} as const

const memberNotFound = () => new NotFound({ detail: "Member not found." })
const noSeat = () => new PaymentRequired({ detail: "Not enough seats available." })

export class Members extends Context.Service<Members, {
  list(
    userId: string,
    workspaceId: string,
    status: MemberStatusName | undefined
  ): Effect.Effect<ReadonlyArray<WorkspaceMemberResponse>, NotFound | Forbidden>
  setStatus(
    userId: string,
    workspaceId: string,
    targetUserId: string,
    status: MemberStatusName
  ): Effect.Effect<WorkspaceMemberResponse, NotFound | Forbidden | PaymentRequired>
  setRole(
    userId: string,
    workspaceId: string,
    targetUserId: string,
    role: RoleName
  ): Effect.Effect<WorkspaceMemberResponse, NotFound | Forbidden>
  remove(userId: string, workspaceId: string, targetUserId: string): Effect.Effect<void, NotFound | Forbidden>
  leave(userId: string, workspaceId: string): Effect.Effect<void, NotFound | Forbidden>
  transferOwnership(
    userId: string,
    workspaceId: string,
    newOwnerId: string
  ): Effect.Effect<WorkspaceResponse, NotFound | Forbidden | PaymentRequired>
}>()("@cuebx/workspaces/Members") {
  static readonly layer = Layer.effect(
    Members,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* WorkspacesRepo
      const access = yield* WorkspaceAccess
      const views = yield* WorkspaceViews

      const inTransaction = <A, E>(effect: Effect.Effect<A, E>) =>
        sql.withTransaction(effect).pipe(Effect.catchTag("SqlError", Effect.die))

      const targetOf = (workspaceId: string, targetUserId: string) =>
        Effect.flatMap(
          repo.member(workspaceId, targetUserId),
          (target) => target === undefined ? Effect.fail(memberNotFound()) : Effect.succeed(target)
        )

      /** Enabling someone takes a seat: refused when every seat is taken or reserved. */
      const requireFreeSeat = (workspaceId: string) =>
        Effect.gen(function*() {
          const { holding, occupancy } = yield* views.seating(workspaceId)
          if (seatBalance(holding, occupancy) <= 0) return yield* Effect.fail(noSeat())
        })

      return Members.of({
        list: Effect.fn("Members.list")(function*(userId, workspaceId, status) {
          yield* access.authorize(userId, workspaceId, "listMembers")
          return (yield* repo.members(workspaceId, status)).map(memberResponse)
        }),
        setStatus: Effect.fn("Members.setStatus")(function*(userId, workspaceId, targetUserId, status) {
          return yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, status === "ENABLED" ? "enableMember" : "disableMember")
            const target = yield* targetOf(workspaceId, targetUserId)
            if (target.role === "OWNER") {
              if (status === "DISABLED") return yield* new Forbidden({ detail: "Cannot disable workspace owner." })
              return memberResponse(target)
            }
            if (target.status === status) return memberResponse(target)
            if (status === "ENABLED") yield* requireFreeSeat(workspaceId)
            return memberResponse(yield* repo.updateMember(workspaceId, targetUserId, { status }))
          }))
        }),
        setRole: Effect.fn("Members.setRole")(function*(userId, workspaceId, targetUserId, role) {
          return yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "changeRole")
            const target = yield* targetOf(workspaceId, targetUserId)
            if (target.role === "OWNER") return yield* new Forbidden({ detail: "Cannot change owner's role." })
            if (role === "OWNER") return yield* new Forbidden({ detail: "Use transfer_ownership to change owner." })
            return memberResponse(yield* repo.updateMember(workspaceId, targetUserId, { role }))
          }))
        }),
        remove: Effect.fn("Members.remove")(function*(userId, workspaceId, targetUserId) {
          yield* inTransaction(Effect.gen(function*() {
            yield* access.authorizeChange(userId, workspaceId, "removeMember")
            const target = yield* targetOf(workspaceId, targetUserId)
            if (target.role === "OWNER") return yield* new Forbidden({ detail: "Cannot remove workspace owner." })
            yield* repo.removeMember(workspaceId, targetUserId)
          }))
        }),
        leave: Effect.fn("Members.leave")(function*(userId, workspaceId) {
          yield* inTransaction(Effect.gen(function*() {
            const { membership } = yield* access.authorizeChange(userId, workspaceId, "leave").pipe(
              Effect.catchTag("NotFound", () => Effect.fail(memberNotFound()))
            )
            if (membership.role === "OWNER") {
              return yield* new Forbidden({ detail: "Owner cannot leave. Transfer ownership first." })
            }
            yield* repo.removeMember(workspaceId, userId)
          }))
        }),
        transferOwnership: Effect.fn("Members.transferOwnership")(function*(userId, workspaceId, newOwnerId) {
          const transferred = yield* inTransaction(Effect.gen(function*() {
            const { workspace } = yield* access.authorizeChange(userId, workspaceId, "transferOwnership")
            if (newOwnerId === userId) return workspace
            if (workspace.isPersonal) {
              return yield* new Forbidden({ detail: "A personal workspace cannot be transferred." })
            }
            const target = yield* repo.member(workspaceId, newOwnerId)
            if (target === undefined) return yield* new NotFound({ detail: "New owner must be a workspace member." })
            if (target.status === "DISABLED") yield* requireFreeSeat(workspaceId)
            // Demote first: the database allows one owner per workspace at any moment.
            yield* repo.updateMember(workspaceId, userId, { role: "ADMIN" })
            yield* repo.updateMember(workspaceId, newOwnerId, { role: "OWNER", status: "ENABLED" })
            yield* repo.setOwner(workspaceId, newOwnerId)
            return { ...workspace, ownerId: newOwnerId }
          }))
          return yield* views.describeOne(transferred)
        })
      })
    })
  )
}
