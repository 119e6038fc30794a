/**
 * Billing's errors on HTTP: each domain error and the wire error it becomes, with the reference's
 * statuses and texts (they name the product asked for, and the check that refused). Stripe
 * refusing a card is 402 with Stripe's codes; Stripe failing or unreachable is 502. The workspaces
 * package spreads `billingErrors` into its own table for the workspace-scoped endpoints.
 */
import { BadRequest, CardDeclined, Conflict, errorTranslation, NotFound, UpstreamFailed } from "@cuebx/contract"
import type { InvalidPlan, PlanClash } from "../admin/PlanAdmin.ts"
import type { TooManyMembersToEnable } from "../BillingWorkspaces.ts"
import type { PlanNotFound, PlanOfOtherProduct } from "../Plans.ts"
import type { StripeCardError, StripeFailed } from "../stripe/StripeGateway.ts"
import type {
  AlreadyPaid,
  DowngradeRefused,
  MissingStripePrice,
  SeatsBelowMembers,
  SeatsBelowReserved,
  SeatsOutOfBounds,
  SubscriptionNotFound
} from "../SubscriptionChanges.ts"

const seatBoundDetail = ({ bound, context, limit, seats }: SeatsOutOfBounds): string => {
  switch (context) {
    case "plan":
      return bound === "minimum" ? `Minimum ${limit} seats required.` : `Maximum ${limit} seats allowed.`
    case "newForTarget":
      return bound === "minimum"
        ? `New seat count (${seats}) cannot be less than target plan's minimum (${limit}).`
        : `New seat count (${seats}) cannot exceed target plan's maximum (${limit}).`
    case "currentForTarget":
      return bound === "minimum"
        ? `Current seat count (${seats}) is below target plan's minimum (${limit}). Add seats before upgrading.`
        : `Current seat count (${seats}) exceeds target plan's maximum (${limit}). Reduce seats before upgrading.`
    case "newForCurrent":
      return bound === "minimum"
        ? `New seat count (${seats}) cannot be less than current plan's minimum (${limit}).`
        : `New seat count (${seats}) cannot exceed current plan's maximum (${limit}).`
  }
}

const missingPriceDetail: Readonly<Record<MissingStripePrice["which"], string>> = {
  currentBase: "Current plan has no Stripe price. Use the checkout flow to subscribe to this plan.",
  targetBase: "Target plan has no Stripe price.",
  currentSeat: "Current plan has no seat Stripe price.",
  targetSeat: "Target plan has no seat Stripe price."
}

/** The table itself, for transports that combine it with their own domain's. */
export const billingErrors = {
  PlanNotFound: (error: PlanNotFound) =>
    new NotFound({ detail: error.product === "API" ? "Plan not found." : "Career plan not found." }),
  PlanOfOtherProduct: (error: PlanOfOtherProduct) =>
    new NotFound({ detail: error.product === "API" ? "Plan is not an API plan." : "Plan is not a Career plan." }),
  PlanNotPurchasable: () => new NotFound({ detail: "Plan is not available for purchase." }),
  SeatsOutOfBounds: (error: SeatsOutOfBounds) => new BadRequest({ detail: seatBoundDetail(error) }),
  AlreadyPaid: (error: AlreadyPaid) =>
    new BadRequest({
      detail: error.product === "API"
        ? "Workspace already has a paid subscription."
        : "Already have an active Career subscription."
    }),
  SubscriptionNotFound: (error: SubscriptionNotFound) =>
    new NotFound({
      detail: error.wording === "noActive"
        ? "No active subscription."
        : error.product === "API"
        ? "Subscription not found."
        : "Career subscription not found."
    }),
  NoStripeSubscription: () => new NotFound({ detail: "Subscription has no Stripe ID." }),
  SamePlan: () => new BadRequest({ detail: "Already subscribed to this plan." }),
  DowngradeRefused: (error: DowngradeRefused) =>
    new BadRequest({
      detail: `Cannot downgrade from ${error.from} to ${error.to}. Please cancel and resubscribe to a different plan.`
    }),
  SeatsBelowMembers: (error: SeatsBelowMembers) =>
    new BadRequest({
      detail: `Cannot reduce to ${error.seats} seats. Currently ${error.enabledMembers} members enabled. ` +
        "Disable members first."
    }),
  SeatsBelowReserved: (error: SeatsBelowReserved) =>
    new BadRequest({
      detail: `Cannot reduce to ${error.seats} seats. ${error.pendingInvitations} pending invitations reserve seats. ` +
        "Revoke invitations first."
    }),
  NoSeatPricing: () => new NotFound({ detail: "Plan does not have seat pricing configured." }),
  MissingStripePrice: (error: MissingStripePrice) => new NotFound({ detail: missingPriceDetail[error.which] }),
  FreePlanNotCancelable: () => new BadRequest({ detail: "The Free plan cannot be cancelled." }),
  AlreadyCanceling: () =>
    new BadRequest({ detail: "Subscription is already set to cancel at the end of the billing period." }),
  NothingToReactivate: () =>
    new BadRequest({ detail: "Workspace is not frozen and its subscription is not set to cancel." }),
  MembersNotFound: () => new NotFound({ detail: "Member not found." }),
  TooManyMembersToEnable: (error: TooManyMembersToEnable) =>
    new BadRequest({ detail: `Cannot enable ${error.members} members. Only ${error.seats} seats available.` }),
  InvalidReturnUrl: () =>
    new BadRequest({ detail: "Invalid return URL. Must be in allowed origins and use HTTPS in production." }),
  StripeCardError: (error: StripeCardError) =>
    new CardDeclined({
      detail: error.message,
      stripe_code: error.code,
      decline_code: error.declineCode,
      param: error.param
    }),
  StripeFailed: (error: StripeFailed) =>
    new UpstreamFailed({
      detail: error.message,
      error_type: error.errorType,
      stripe_code: error.code,
      request_id: error.requestId
    }),
  MissingSignature: () => new BadRequest({ detail: "Missing Stripe-Signature header" }),
  InvalidSignature: () => new BadRequest({ detail: "Invalid signature" }),
  MissingEventIdOrType: () => new BadRequest({ detail: "Missing event id or type" }),
  AdminPlanNotFound: () => new NotFound({ detail: "Plan not found." }),
  PlanClash: (error: PlanClash) =>
    new Conflict({
      detail: error.field === "name"
        ? "A plan with this name already exists."
        : "Another plan of this product has this rank."
    }),
  InvalidPlan: (error: InvalidPlan) => new BadRequest({ detail: error.reason })
}

export const billingErrorToWire = errorTranslation(billingErrors)
