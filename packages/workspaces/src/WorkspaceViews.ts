/**
 * Workspaces and members as the wire shows them, with their seats and credits: seats come from
 * the current subscription (none means 0), and a seat is taken by each enabled member and each
 * pending invitation. Batched, so a listing costs a fixed number of queries.
 */
import { isCurrent, Subscriptions, type WorkspaceHolding } from "@cuebx/billing"
import type { MemberRole, MemberStatus, WorkspaceMemberResponse, WorkspaceResponse } from "@cuebx/contract"
import { Context, Effect, Layer } from "effect"
import { type Member, type Occupancy, type Workspace, WorkspacesRepo } from "./WorkspacesRepo.ts"

/** Seats of the workspace's current subscription; 0 without one. */
export const seatsOf = (holding: WorkspaceHolding | undefined): number =>
  holding !== undefined && isCurrent(holding.subscription.status) ? holding.subscription.seatCount : 0

/**
 * Seats neither taken by an enabled member nor reserved by a pending invitation; negative when
 * the seats were reduced below what is in use.
 */
export const seatBalance = (holding: WorkspaceHolding | undefined, occupancy: Occupancy): number =>
  seatsOf(holding) - occupancy.enabledMembers - occupancy.pendingInvitations

/** Seats free to use, as the wire shows them (never negative). */
export const freeSeats = (holding: WorkspaceHolding | undefined, occupancy: Occupancy): number =>
  Math.max(0, seatBalance(holding, occupancy))

const toCents = (amount: string): bigint => {
  const [whole = "0", fraction = ""] = amount.split(".")
  const negative = whole.startsWith("-")
  const cents = BigInt(whole.replace("-", "")) * 100n + BigInt(fraction.padEnd(2, "0").slice(0, 2))
  return negative ? -cents : cents
}

const fromCents = (cents: bigint): string => {
  const sign = cents < 0n ? "-" : ""
  const absolute = cents < 0n ? -cents : cents
  return `${sign}${absolute / 100n}.${String(absolute % 100n).padStart(2, "0")}`
}

/** `"5000.00"` − `"1250.50"` = `"3749.50"`, exactly. */
export const subtractAmounts = (a: string, b: string): string => fromCents(toCents(a) - toCents(b))

export const memberResponse = (member: Member): WorkspaceMemberResponse => ({
  id: member.id,
  user_id: member.userId,
  role: member.role.toLowerCase() as MemberRole,
  status: member.status.toLowerCase() as MemberStatus,
  joined_at: member.joinedAt.toISOString(),
  user_email: member.userEmail,
  user_name: member.userName,
  user_avatar_url: member.userAvatarUrl
})

export const workspaceResponse = (
  workspace: Workspace,
  holding: WorkspaceHolding | undefined,
  occupancy: Occupancy
): WorkspaceResponse => {
  const current = holding !== undefined && isCurrent(holding.subscription.status)
  const creditsUsed = holding?.creditsUsed ?? "0.00"
  const creditsLimit = current ? holding.creditsAllocation : "0.00"
  return {
    id: workspace.id,
    display_name: workspace.displayName,
    slug: workspace.slug,
    status: workspace.status.toLowerCase() as WorkspaceResponse["status"],
    is_personal: workspace.isPersonal,
    description: workspace.description,
    created_at: workspace.createdAt.toISOString(),
    owner_id: workspace.ownerId,
    enabled_member_count: occupancy.enabledMembers,
    total_member_count: occupancy.totalMembers,
    seat_count: seatsOf(holding),
    available_seats: freeSeats(holding, occupancy),
    credits_used: creditsUsed,
    credits_limit: creditsLimit,
    credits_remaining: subtractAmounts(creditsLimit, creditsUsed),
    client_id: `ws_${workspace.id.replaceAll("-", "")}`
  }
}

export class WorkspaceViews extends Context.Service<WorkspaceViews, {
  describe(workspaces: ReadonlyArray<Workspace>): Effect.Effect<ReadonlyArray<WorkspaceResponse>>
  describeOne(workspace: Workspace): Effect.Effect<WorkspaceResponse>
  /** Seats, occupancy and subscription of one workspace, for seat checks (call under the workspace lock). */
  seating(workspaceId: string): Effect.Effect<{
    readonly holding: WorkspaceHolding | undefined
    readonly occupancy: Occupancy
  }>
}>()("@cuebx/workspaces/WorkspaceViews") {
  static readonly layer = Layer.effect(
    WorkspaceViews,
    Effect.gen(function*() {
      const repo = yield* WorkspacesRepo
      const subscriptions = yield* Subscriptions

      const describe = (workspaces: ReadonlyArray<Workspace>) =>
        Effect.gen(function*() {
          const ids = workspaces.map((workspace) => workspace.id)
          const [holdings, occupancy] = yield* Effect.all([subscriptions.ofWorkspaces(ids), repo.occupancy(ids)])
          return workspaces.map((workspace) =>
            workspaceResponse(workspace, holdings.get(workspace.id), occupancy.get(workspace.id)!)
          )
        })

      return WorkspaceViews.of({
        describe,
        describeOne: (workspace) => Effect.map(describe([workspace]), (views) => views[0]!),
        seating: (workspaceId) =>
          Effect.gen(function*() {
            const [holding, occupancy] = yield* Effect.all([
              subscriptions.ofWorkspace(workspaceId),
              repo.occupancy([workspaceId])
            ])
            return { holding, occupancy: occupancy.get(workspaceId)! }
          })
      })
    })
  )
}
