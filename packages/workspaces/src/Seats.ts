/**
 * The seat rules of a workspace: its seats are those of its current subscription (none means 0),
 * and a seat is taken by each enabled member and reserved by each pending invitation. Enabling a
 * member needs a free seat; inviting one also needs a paid plan. Checks run under the workspace
 * lock, so concurrent requests cannot take the same seat.
 */
import { Subscriptions, type WorkspaceHolding } from "@cuebx/billing"
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { noOccupancy, type Occupancy, WorkspacesRepo } from "./WorkspacesRepo.ts"

/** Seats of the workspace's current subscription; 0 without one. */
export const seatsOf = (current: Option.Option<WorkspaceHolding>): number =>
  Option.match(current, { onNone: () => 0, onSome: (holding) => holding.subscription.seatCount })

/**
 * Seats neither taken by an enabled member nor reserved by a pending invitation; negative when
 * the seats were reduced below what is in use.
 */
export const seatBalance = (current: Option.Option<WorkspaceHolding>, occupancy: Occupancy): number =>
  seatsOf(current) - occupancy.enabledMembers - occupancy.pendingInvitations

/** What the seat rules of one workspace look at. */
export interface Seating {
  readonly current: Option.Option<WorkspaceHolding>
  readonly occupancy: Occupancy
}

/** Inviting needs a current subscription. */
export class NoActiveSubscription extends Schema.TaggedError<NoActiveSubscription>()("NoActiveSubscription", {
  workspaceId: Schema.String
}) {}

/** A workspace on a Free plan has its owner's seat and no other. */
export class FreePlanAllowsNoMembers extends Schema.TaggedError<FreePlanAllowsNoMembers>()(
  "FreePlanAllowsNoMembers",
  { workspaceId: Schema.String }
) {}

/**
 * Every seat is taken or reserved. `purpose` is what needed the seat: an invitation (inviting
 * or accepting one) or a change of membership (enabling a member, transferring to a disabled one).
 */
export class SeatsExhausted extends Schema.TaggedError<SeatsExhausted>()("SeatsExhausted", {
  workspaceId: Schema.String,
  seats: Schema.Int,
  purpose: Schema.Literals(["invitation", "membership"])
}) {}

export class Seats extends Context.Service<Seats, {
  /** The current subscription and occupancy of one workspace (call under the workspace lock). */
  seating(workspaceId: string): Effect.Effect<Seating>
  /** Enabling someone takes a seat: refused when every seat is taken or reserved. */
  requireFreeSeat(workspaceId: string): Effect.Effect<void, SeatsExhausted>
  /**
   * Adding someone by invitation: a paid plan with a seat not taken or reserved, counting the
   * seat the invitation itself reserves (`reservedByThisInvitation`) as free.
   */
  requireInvitationSeat(
    workspaceId: string,
    reservedByThisInvitation: number
  ): Effect.Effect<void, NoActiveSubscription | FreePlanAllowsNoMembers | SeatsExhausted>
}>()("@cuebx/workspaces/Seats") {
  static readonly layer = Layer.effect(
    Seats,
    Effect.gen(function*() {
      const repo = yield* WorkspacesRepo
      const subscriptions = yield* Subscriptions

      const seating = Effect.fn("Seats.seating")(function*(workspaceId: string) {
        const now = yield* DateTime.now
        const [current, occupancy] = yield* Effect.all([
          subscriptions.currentOfWorkspace(workspaceId),
          repo.occupancy([workspaceId], now)
        ])
        return { current, occupancy: occupancy.get(workspaceId) ?? noOccupancy }
      })

      return Seats.of({
        seating,
        requireFreeSeat: Effect.fn("Seats.requireFreeSeat")(function*(workspaceId) {
          const { current, occupancy } = yield* seating(workspaceId)
          if (seatBalance(current, occupancy) <= 0) {
            return yield* new SeatsExhausted({ workspaceId, seats: seatsOf(current), purpose: "membership" })
          }
        }),
        requireInvitationSeat: Effect.fn("Seats.requireInvitationSeat")(function*(workspaceId, reserved) {
          const { current, occupancy } = yield* seating(workspaceId)
          if (Option.isNone(current)) return yield* new NoActiveSubscription({ workspaceId })
          if (current.value.plan.type === "free") return yield* new FreePlanAllowsNoMembers({ workspaceId })
          if (seatBalance(current, occupancy) + reserved <= 0) {
            return yield* new SeatsExhausted({ workspaceId, seats: seatsOf(current), purpose: "invitation" })
          }
        })
      })
    })
  )
}
