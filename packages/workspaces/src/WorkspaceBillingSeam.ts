/**
 * Fills billing's `BillingWorkspaces` seam: what a workspace's plan means for the workspace. The
 * seats of a new plan are applied to the members (those beyond are suspended, latest joined
 * first, never the owner; those billing suspended come back as seats allow), a lapsed
 * subscription freezes the workspace, and reactivation enables the members the owner lists.
 * Status changes are announced (`workspace`) for the caches that hold workspace states.
 */
import { UsersRepo } from "@cuebx/auth"
import { BillingWorkspaces, MembersNotFound, TooManyMembersToEnable } from "@cuebx/billing"
import { announce } from "@cuebx/db"
import { DateTime, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { noOccupancy, WorkspacesRepo } from "./WorkspacesRepo.ts"

export const WorkspaceBillingSeam = Layer.effect(
  BillingWorkspaces,
  Effect.gen(function*() {
    const repo = yield* WorkspacesRepo
    const users = yield* UsersRepo
    const sql = yield* SqlClient.SqlClient
    const announceWorkspace = (id: string) =>
      announce("workspace", id).pipe(Effect.provideService(SqlClient.SqlClient, sql))

    const occupancyOf = Effect.fnUntraced(function*(workspaceId: string) {
      return (yield* repo.occupancy([workspaceId], yield* DateTime.now)).get(workspaceId) ?? noOccupancy
    })

    const setStatus = Effect.fnUntraced(function*(workspaceId: string, status: "active" | "frozen") {
      if (yield* repo.setStatus(workspaceId, status)) yield* announceWorkspace(workspaceId)
    })

    return BillingWorkspaces.of({
      lock: Effect.fn("WorkspaceBillingSeam.lock")(function*(workspaceId) {
        const workspace = yield* repo.lock(workspaceId)
        return Option.map(workspace, (found) => ({ frozen: found.status !== "active" }))
      }),
      contact: Effect.fn("WorkspaceBillingSeam.contact")(function*(workspaceId) {
        const workspace = yield* repo.lock(workspaceId)
        if (Option.isNone(workspace)) return Option.none()
        const owner = (yield* users.profiles([workspace.value.ownerId])).get(workspace.value.ownerId)
        if (owner === undefined) return Option.none()
        return Option.some({
          workspaceName: workspace.value.displayName,
          ownerId: owner.id,
          ownerEmail: owner.email,
          ownerName: owner.fullName
        })
      }),
      seatUse: Effect.fn("WorkspaceBillingSeam.seatUse")(function*(workspaceId) {
        const occupancy = yield* occupancyOf(workspaceId)
        return { enabledMembers: occupancy.enabledMembers, pendingInvitations: occupancy.pendingInvitations }
      }),
      fitToSeats: Effect.fn("WorkspaceBillingSeam.fitToSeats")(function*(workspaceId, seats) {
        yield* setStatus(workspaceId, "active")
        yield* repo.suspendMembersBeyond(workspaceId, seats)
        const { enabledMembers } = yield* occupancyOf(workspaceId)
        yield* repo.restoreSuspendedMembers(workspaceId, seats - enabledMembers)
      }),
      freeze: Effect.fn("WorkspaceBillingSeam.freeze")(function*(workspaceId) {
        yield* setStatus(workspaceId, "frozen")
        yield* repo.suspendMembersBeyond(workspaceId, 1)
      }),
      enableMembers: Effect.fn("WorkspaceBillingSeam.enableMembers")(function*(workspaceId, memberIds, seats) {
        const unique = [...new Set(memberIds)]
        const listed = yield* repo.membershipsAmong(workspaceId, unique)
        const unknown = unique.filter((id) => !listed.some((member) => member.id === id || member.userId === id))
        if (unknown.length > 0) return yield* new MembersNotFound({ workspaceId, memberIds: unknown })
        const members = yield* repo.memberships(workspaceId, undefined)
        const enabled = new Set(
          members.filter((member) => member.status === "enabled" || member.role === "owner").map((member) => member.id)
        )
        for (const member of listed) enabled.add(member.id)
        if (enabled.size > seats) {
          return yield* new TooManyMembersToEnable({ workspaceId, members: enabled.size, seats })
        }
        yield* repo.enableMemberships(listed.map((member) => member.id))
        yield* setStatus(workspaceId, "active")
      })
    })
  })
)
