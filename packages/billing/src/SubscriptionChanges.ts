/**
 * What the changes of both products share: the refusals (each domain error says what is wrong,
 * the HTTP table words it as the reference did), the rules of upgrades, and the reading of
 * Stripe's upcoming invoice for previews. The changes themselves are `WorkspaceBilling` (API) and
 * `CareerBilling`.
 */
import { ProductType } from "@cuebx/contract"
import { RequestId } from "@cuebx/observability"
import { BigDecimal, DateTime, Effect, Option, Schema } from "effect"
import type { Plan } from "./Plans.ts"
import type { StripeInvoice, StripeSubscription, StripeSubscriptionItem } from "./stripe/StripeObjects.ts"
import type { PlanHolding } from "./Subscriptions.ts"

/** The plan exists but cannot be bought (free, inactive, or without a Stripe price). */
export class PlanNotPurchasable extends Schema.TaggedError<PlanNotPurchasable>()("PlanNotPurchasable", {
  planId: Schema.String
}) {}

/** A seat count outside a plan's bounds; `context` says which check, for the reference's wording. */
export class SeatsOutOfBounds extends Schema.TaggedError<SeatsOutOfBounds>()("SeatsOutOfBounds", {
  bound: Schema.Literals(["minimum", "maximum"]),
  limit: Schema.Int,
  seats: Schema.Int,
  context: Schema.Literals(["plan", "newForTarget", "currentForTarget", "newForCurrent"])
}) {}

/** The owner has a paid subscription already: change it instead of buying another. */
export class AlreadyPaid extends Schema.TaggedError<AlreadyPaid>()("AlreadyPaid", { product: ProductType }) {}

/** No current subscription; `wording` picks the reference's text for the endpoint. */
export class SubscriptionNotFound extends Schema.TaggedError<SubscriptionNotFound>()("SubscriptionNotFound", {
  product: ProductType,
  wording: Schema.Literals(["notFound", "noActive"])
}) {}

/** The current subscription is not a Stripe one (a Free plan): only checkout moves it to a paid plan. */
export class NoStripeSubscription extends Schema.TaggedError<NoStripeSubscription>()("NoStripeSubscription", {
  subscriptionId: Schema.String
}) {}

export class SamePlan extends Schema.TaggedError<SamePlan>()("SamePlan", { planId: Schema.String }) {}

/** Only higher tiers can be reached in place; lower ones are a cancellation and a new checkout. */
export class DowngradeRefused extends Schema.TaggedError<DowngradeRefused>()("DowngradeRefused", {
  from: Schema.String,
  to: Schema.String
}) {}

export class SeatsBelowMembers extends Schema.TaggedError<SeatsBelowMembers>()("SeatsBelowMembers", {
  seats: Schema.Int,
  enabledMembers: Schema.Int
}) {}

export class SeatsBelowReserved extends Schema.TaggedError<SeatsBelowReserved>()("SeatsBelowReserved", {
  seats: Schema.Int,
  pendingInvitations: Schema.Int
}) {}

/** Seats cannot change on a plan sold without a seat price. */
export class NoSeatPricing extends Schema.TaggedError<NoSeatPricing>()("NoSeatPricing", { planId: Schema.String }) {}

export class MissingStripePrice extends Schema.TaggedError<MissingStripePrice>()("MissingStripePrice", {
  which: Schema.Literals(["currentBase", "targetBase", "currentSeat", "targetSeat"])
}) {}

export class FreePlanNotCancelable extends Schema.TaggedError<FreePlanNotCancelable>()("FreePlanNotCancelable", {
  product: ProductType
}) {}

export class AlreadyCanceling extends Schema.TaggedError<AlreadyCanceling>()("AlreadyCanceling", {
  subscriptionId: Schema.String
}) {}

/** Reactivating a workspace that is not frozen, whose subscription is not set to cancel. */
export class NothingToReactivate extends Schema.TaggedError<NothingToReactivate>()("NothingToReactivate", {
  workspaceId: Schema.String
}) {}

/** A portal `return_url` not on an allowed origin (or not HTTPS in production). */
export class InvalidReturnUrl extends Schema.TaggedError<InvalidReturnUrl>()("InvalidReturnUrl", {
  returnUrl: Schema.String
}) {}

/**
 * The request a charging call belongs to, for its idempotency key: Stripe replays a declined
 * charge for the same key, so a new request (the card fixed meanwhile) gets a new key, while the
 * client's network retries within one request keep it. Outside a request, a fresh id.
 */
export const chargeAttempt: Effect.Effect<string> = Effect.gen(function*() {
  return (yield* RequestId) ?? crypto.randomUUID()
})

/** Stripe's figures for a change, as the preview endpoints show them. */
export interface ChangePreview {
  readonly currentPlan: Plan
  readonly newPlan: Plan
  readonly currentSeats: number
  readonly newSeats: number
  /** What the change is worth for the rest of the period (proration lines). */
  readonly prorationAmount: BigDecimal.BigDecimal
  /** Stripe's amount due now for the change. */
  readonly totalDue: BigDecimal.BigDecimal
  readonly currency: string
  readonly billingPeriodEnd: DateTime.Utc | null
}

const centsToAmount = (cents: number) => BigDecimal.make(BigInt(cents), 2)

/** Reads Stripe's upcoming invoice: proration lines summed, and the amount due. */
export const previewFigures = (invoice: StripeInvoice) => ({
  prorationAmount: centsToAmount(
    invoice.lines.data
      .filter((line) => line.parent?.subscription_item_details?.proration === true)
      .reduce((sum, line) => sum + line.amount, 0)
  ),
  totalDue: centsToAmount(invoice.amount_due),
  currency: invoice.currency
})

/** The owner's current subscription, or the endpoint's "not found". */
export const requireCurrent = <H extends PlanHolding>(
  current: Option.Option<H>,
  product: ProductType,
  wording: SubscriptionNotFound["wording"]
): Effect.Effect<H, SubscriptionNotFound> =>
  Option.match(current, {
    onNone: () => Effect.fail(new SubscriptionNotFound({ product, wording })),
    onSome: Effect.succeed
  })

export const requireStripeId = (holding: PlanHolding): Effect.Effect<string, NoStripeSubscription> =>
  holding.subscription.stripeSubscriptionId === null
    ? Effect.fail(new NoStripeSubscription({ subscriptionId: holding.subscription.id }))
    : Effect.succeed(holding.subscription.stripeSubscriptionId)

/** Upgrades go to a strictly higher tier of the same product. */
export const requireUpgrade = (current: Plan, target: Plan): Effect.Effect<void, SamePlan | DowngradeRefused> =>
  target.id === current.id
    ? Effect.fail(new SamePlan({ planId: target.id }))
    : target.rank <= current.rank
    ? Effect.fail(new DowngradeRefused({ from: current.name, to: target.name }))
    : Effect.void

/** The subscription's item billing `priceId`, if any. */
export const itemOf = (
  subscription: StripeSubscription,
  priceId: string | null
): StripeSubscriptionItem | undefined =>
  priceId === null ? undefined : subscription.items.data.find((item) => item.price.id === priceId)

/** The base item: the one on the plan's base price, else the first that is not the seat item. */
export const baseItemOf = (subscription: StripeSubscription, plan: Plan): StripeSubscriptionItem | undefined =>
  itemOf(subscription, plan.stripePriceId) ??
    subscription.items.data.find((item) => item.price.id !== plan.seatStripePriceId)
