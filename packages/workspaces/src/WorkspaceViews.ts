/**
 * Workspaces and members as the domain shows them: a workspace with its counts, seats and
 * credits, and a membership with its user's profile (from auth: deleted accounts have none).
 * Batched, so a listing costs a fixed number of queries whatever its length.
 */
import { type UserProfile, UsersRepo } from "@cuebx/auth"
import { Subscriptions, type WorkspaceHolding } from "@cuebx/billing"
import type { MemberStatus } from "@cuebx/contract"
import { BigDecimal, Context, DateTime, Effect, Layer, Option } from "effect"
import { seatBalance, seatsOf } from "./Seats.ts"
import { type Membership, noOccupancy, type Occupancy, type Workspace, WorkspacesRepo } from "./WorkspacesRepo.ts"

/** A membership with its user's profile; `None` if the account went away since it was read. */
export interface Member extends Membership {
  readonly profile: Option.Option<UserProfile>
}

export interface Credits {
  /** Used in the current period (kept even when the subscription is no longer current). */
  readonly used: BigDecimal.BigDecimal
  /** The current subscription's allowance; 0 without one. */
  readonly limit: BigDecimal.BigDecimal
  /** `limit - used`; negative when more was used than the allowance now gives. */
  readonly remaining: BigDecimal.BigDecimal
}

/** A workspace with its member counts, seats and credits. */
export interface WorkspaceSummary {
  readonly workspace: Workspace
  readonly enabledMembers: number
  readonly totalMembers: number
  /** Seats of the current subscription; 0 without one. */
  readonly seats: number
  /** Seats neither taken by an enabled member nor reserved by a pending invitation (never negative). */
  readonly availableSeats: number
  readonly credits: Credits
}

export interface WorkspaceDetail extends WorkspaceSummary {
  readonly members: ReadonlyArray<Member>
}

const zero = BigDecimal.fromBigInt(0n)

export const summarize = (
  workspace: Workspace,
  holding: Option.Option<WorkspaceHolding>,
  occupancy: Occupancy
): WorkspaceSummary => {
  const current = Option.filter(holding, (held) => held.isCurrent)
  const used = Option.match(holding, { onNone: () => zero, onSome: (held) => held.creditsUsed })
  const limit = Option.match(current, { onNone: () => zero, onSome: (held) => held.creditsAllocation })
  return {
    workspace,
    enabledMembers: occupancy.enabledMembers,
    totalMembers: occupancy.totalMembers,
    seats: seatsOf(current),
    availableSeats: Math.max(0, seatBalance(current, occupancy)),
    credits: { used, limit, remaining: BigDecimal.subtract(limit, used) }
  }
}

export class WorkspaceViews extends Context.Service<WorkspaceViews, {
  summaries(workspaces: ReadonlyArray<Workspace>): Effect.Effect<ReadonlyArray<WorkspaceSummary>>
  summary(workspace: Workspace): Effect.Effect<WorkspaceSummary>
  /** The summary with every member, disabled ones included. */
  detail(workspace: Workspace): Effect.Effect<WorkspaceDetail>
  members(workspaceId: string, status: MemberStatus | undefined): Effect.Effect<ReadonlyArray<Member>>
  member(membership: Membership): Effect.Effect<Member>
}>()("@cuebx/workspaces/WorkspaceViews") {
  static readonly layer = Layer.effect(
    WorkspaceViews,
    Effect.gen(function*() {
      const repo = yield* WorkspacesRepo
      const users = yield* UsersRepo
      const subscriptions = yield* Subscriptions

      /** Builds members from memberships, with the profiles of these users read in one query. */
      const memberBuilder = Effect.fnUntraced(function*(userIds: ReadonlyArray<string>) {
        const profiles = yield* users.profiles(userIds)
        return (membership: Membership): Member => ({
          ...membership,
          profile: Option.fromUndefinedOr(profiles.get(membership.userId))
        })
      })

      /** Summarises workspaces, with the subscriptions and occupancy of these ids read in one query each. */
      const summarizer = Effect.fnUntraced(function*(workspaceIds: ReadonlyArray<string>) {
        const now = yield* DateTime.now
        const holdings = yield* subscriptions.ofWorkspaces(workspaceIds)
        const occupancy = yield* repo.occupancy(workspaceIds, now)
        return (workspace: Workspace) =>
          summarize(
            workspace,
            Option.fromUndefinedOr(holdings.get(workspace.id)),
            occupancy.get(workspace.id) ?? noOccupancy
          )
      })

      const summary = Effect.fn("WorkspaceViews.summary")(function*(workspace: Workspace) {
        return (yield* summarizer([workspace.id]))(workspace)
      })

      const members = Effect.fn("WorkspaceViews.members")(
        function*(workspaceId: string, status: MemberStatus | undefined) {
          const memberships = yield* repo.memberships(workspaceId, status)
          return memberships.map(yield* memberBuilder(memberships.map((membership) => membership.userId)))
        }
      )

      return WorkspaceViews.of({
        summaries: Effect.fn("WorkspaceViews.summaries")(function*(workspaces) {
          return workspaces.map(yield* summarizer(workspaces.map((workspace) => workspace.id)))
        }),
        summary,
        detail: Effect.fn("WorkspaceViews.detail")(function*(workspace) {
          return { ...(yield* summary(workspace)), members: yield* members(workspace.id, undefined) }
        }),
        members,
        member: Effect.fn("WorkspaceViews.member")(function*(membership) {
          return (yield* memberBuilder([membership.userId]))(membership)
        })
      })
    })
  )
}
