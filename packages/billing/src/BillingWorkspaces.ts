/**
 * What billing needs of a workspace, declared here and filled by the workspaces package (billing
 * sits below it and never reads its tables): locking it, who pays for it, how many seats are in
 * use, and the effects of its plan on its members and status. Every method runs in the caller's
 * transaction; `lock` comes first, so billing and the workspace's own changes lock in one order.
 */
import { Context, type Effect, type Option, Schema } from "effect"

export interface WorkspaceContact {
  readonly workspaceName: string
  readonly ownerId: string
  readonly ownerEmail: string
  readonly ownerName: string | null
}

export interface WorkspaceState {
  /** Frozen (its subscription lapsed) or suspended: billing recovery still works. */
  readonly frozen: boolean
}

export interface SeatUse {
  readonly enabledMembers: number
  readonly pendingInvitations: number
}

/** A member to enable is not in the workspace. */
export class MembersNotFound extends Schema.TaggedError<MembersNotFound>()("MembersNotFound", {
  workspaceId: Schema.String,
  memberIds: Schema.Array(Schema.String)
}) {}

/** Enabling these members (with the owner and those enabled already) would take more than the seats. */
export class TooManyMembersToEnable extends Schema.TaggedError<TooManyMembersToEnable>()(
  "TooManyMembersToEnable",
  { workspaceId: Schema.String, members: Schema.Int, seats: Schema.Int }
) {}

export class BillingWorkspaces extends Context.Service<BillingWorkspaces, {
  /** Locks the workspace until the transaction ends; `None` when it does not exist (or was deleted). */
  lock(workspaceId: string): Effect.Effect<Option.Option<WorkspaceState>>
  contact(workspaceId: string): Effect.Effect<Option.Option<WorkspaceContact>>
  seatUse(workspaceId: string): Effect.Effect<SeatUse>
  /**
   * The workspace's plan now gives `seats` seats: it is no longer frozen, members billing
   * suspended are enabled again up to the seats (earliest joined first), and enabled members
   * beyond the seats are suspended (latest joined first, never the owner).
   */
  fitToSeats(workspaceId: string, seats: number): Effect.Effect<void>
  /** The subscription lapsed without ending (paused, unpaid first invoice): frozen, only the owner enabled. */
  freeze(workspaceId: string): Effect.Effect<void>
  /**
   * Unfreezes and enables the owner and these members (user ids or membership ids), if the
   * seats hold them with the members enabled already.
   */
  enableMembers(
    workspaceId: string,
    memberIds: ReadonlyArray<string>,
    seats: number
  ): Effect.Effect<void, MembersNotFound | TooManyMembersToEnable>
}>()("@cuebx/billing/BillingWorkspaces") {}
