/**
 * The plan catalogue (public), and the subscriptions of a workspace (per seat, behind the
 * workspace's access policy) and of the signed-in user (Career): reading them, checkout through
 * Stripe, seats, upgrades with their preview, cancellation and reactivation, the payments history
 * and Stripe's customer portal. Stripe refusing a card is 402 with its codes; Stripe failing or
 * unreachable is 502, and nothing changes then.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Authentication } from "../auth/AuthApi.ts"
import { MessageResponse } from "../auth/AuthModels.ts"
import { doc } from "../Docs.ts"
import { BadRequest, CardDeclined, Forbidden, NotFound, TooManyRequestsResponse, UpstreamFailed } from "../Errors.ts"
import { Uuid } from "../Ids.ts"
import { CareerSubscriptionResponse, PlanListResponse, PlanResponse, SubscriptionResponse } from "./BillingModels.ts"
import {
  CancelSubscriptionRequest,
  CareerCheckoutRequest,
  CareerUpgradePreviewResponse,
  CheckoutRequest,
  CheckoutResponse,
  PaymentPage,
  PaymentsQuery,
  PortalRequest,
  PortalResponse,
  ReactivateRequest,
  SeatUpdateRequest,
  UpgradePreviewRequest,
  UpgradePreviewResponse,
  UpgradeRequest
} from "./SubscriptionChangeModels.ts"

const workspace = { workspace_id: Uuid }
const scoped = [NotFound, Forbidden] as const
const stripeCall = [BadRequest, UpstreamFailed] as const

export class PlansApi extends HttpApiGroup.make("plans")
  .add(
    HttpApiEndpoint.get("listApiPlans", "/api/subscriptions/plans", {
      success: PlanListResponse,
      error: TooManyRequestsResponse
    }).annotateMerge(doc("CueBX API plans", "Active plans, cheapest first.")),
    HttpApiEndpoint.get("getApiPlan", "/api/subscriptions/plans/:plan_id", {
      params: { plan_id: Uuid },
      success: PlanResponse,
      error: NotFound
    }).annotateMerge(doc("One CueBX API plan", "With its features; an unknown id, or a Career plan's, is 404.")),
    HttpApiEndpoint.get("listCareerPlans", "/career/subscriptions/plans", { success: PlanListResponse })
      .annotateMerge(doc("CueBX Career plans", "Active plans, cheapest first.")),
    HttpApiEndpoint.get("getCareerPlan", "/career/subscriptions/plans/:plan_id", {
      params: { plan_id: Uuid },
      success: PlanResponse,
      error: NotFound
    }).annotateMerge(doc("One CueBX Career plan", "With its features; an unknown id, or an API plan's, is 404."))
  )
  .annotateMerge(OpenApi.annotations({ title: "Plans", description: "The plan catalogue of both products." }))
{}

export class WorkspaceSubscriptionsApi extends HttpApiGroup.make("workspaceSubscriptions")
  .add(
    HttpApiEndpoint.get("getWorkspaceSubscription", "/api/subscriptions/workspaces/:workspace_id", {
      params: { workspace_id: Uuid },
      success: Schema.NullOr(SubscriptionResponse),
      error: [NotFound, Forbidden]
    }).annotateMerge(doc(
      "The workspace's current subscription",
      "`null` when the workspace has none. A subscription in its payment grace period (past_due, unpaid) is " +
        "still returned, with its status."
    ))
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({
    title: "Subscriptions",
    description: "CueBX API subscriptions, one per workspace."
  }))
{}

export class CareerSubscriptionsApi extends HttpApiGroup.make("careerSubscriptions")
  .add(
    HttpApiEndpoint.get("getCareerSubscription", "/career/subscriptions", {
      success: Schema.NullOr(CareerSubscriptionResponse)
    }).annotateMerge(doc("My current Career subscription", "`null` when there is none.")),
    HttpApiEndpoint.post("activateCareerSubscription", "/career/subscriptions/activate", {
      success: CareerSubscriptionResponse
    }).annotateMerge(doc(
      "Make sure I have a Career subscription",
      "Returns the existing one (whatever its status), or starts the Free plan. Safe to repeat."
    ))
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({
    title: "Career subscriptions",
    description: "CueBX Career subscriptions, one per user."
  }))
{}

/** Changing a workspace's subscription through Stripe, behind the same access policy as the workspace. */
export class WorkspaceBillingApi extends HttpApiGroup.make("workspaceBilling")
  .add(
    HttpApiEndpoint.post("createCheckout", "/api/subscriptions/workspaces/:workspace_id/checkout", {
      params: workspace,
      payload: CheckoutRequest,
      success: CheckoutResponse,
      error: [...scoped, ...stripeCall, TooManyRequestsResponse]
    }).annotateMerge(doc(
      "Start a Stripe checkout for a paid plan",
      "Owner or admin; allowed on a frozen workspace. The subscription starts when Stripe confirms the payment " +
        "(webhook); a workspace already on a paid plan is 400."
    )),
    HttpApiEndpoint.patch("updateSeats", "/api/subscriptions/workspaces/:workspace_id/seats", {
      params: workspace,
      payload: SeatUpdateRequest,
      success: SubscriptionResponse,
      error: [...scoped, ...stripeCall, CardDeclined]
    }).annotateMerge(doc(
      "Change the number of seats",
      "Owner or admin. More seats are charged at once, prorated (a declined card is 402 and nothing changes); " +
        "fewer seats are credited on the next invoice and cannot go below the enabled members."
    )),
    HttpApiEndpoint.post("cancelSubscription", "/api/subscriptions/workspaces/:workspace_id/cancel", {
      params: workspace,
      payload: CancelSubscriptionRequest,
      success: SubscriptionResponse,
      error: [...scoped, ...stripeCall, TooManyRequestsResponse]
    }).annotateMerge(doc(
      "Cancel the subscription",
      "Owner only. At the end of the period by default (access stays until then; cancelling again is 400), or " +
        "now, when the workspace falls back to the Free plan."
    )),
    HttpApiEndpoint.post("reactivateWorkspace", "/api/subscriptions/workspaces/:workspace_id/reactivate", {
      params: workspace,
      payload: ReactivateRequest,
      success: MessageResponse,
      error: [...scoped, ...stripeCall]
    }).annotateMerge(doc(
      "Reactivate the workspace",
      "Owner only. Undoes a cancellation at the period's end, unfreezes the workspace and enables the owner and " +
        "the listed members, within the seats."
    )),
    HttpApiEndpoint.post("previewUpgrade", "/api/subscriptions/workspaces/:workspace_id/preview-upgrade", {
      params: workspace,
      payload: UpgradePreviewRequest,
      success: UpgradePreviewResponse,
      error: [...scoped, ...stripeCall]
    }).annotateMerge(doc(
      "Preview a plan or seat change",
      "Owner or admin. Stripe's own figures for the change: the proration and the amount due now."
    )),
    HttpApiEndpoint.post("upgradePlan", "/api/subscriptions/workspaces/:workspace_id/upgrade", {
      params: workspace,
      payload: UpgradeRequest,
      success: SubscriptionResponse,
      error: [...scoped, ...stripeCall, CardDeclined, TooManyRequestsResponse]
    }).annotateMerge(doc(
      "Upgrade to a higher plan",
      "Owner or admin. The prorated difference is charged at once; the plan changes only once Stripe confirms " +
        "the payment (a declined card is 402 and nothing changes)."
    )),
    HttpApiEndpoint.get("listWorkspacePayments", "/api/subscriptions/workspaces/:workspace_id/payments", {
      params: workspace,
      query: PaymentsQuery,
      success: PaymentPage,
      error: scoped
    }).annotateMerge(doc("The workspace's payments", "Owner or admin. Newest first, paged by `limit` and `offset`.")),
    HttpApiEndpoint.post("createWorkspacePortal", "/api/subscriptions/workspaces/:workspace_id/portal", {
      params: workspace,
      payload: PortalRequest,
      success: PortalResponse,
      error: [...scoped, ...stripeCall]
    }).annotateMerge(doc(
      "Open Stripe's customer portal",
      "Owner or admin. A portal session URL (payment methods, invoices); `return_url` must be on an allowed origin."
    ))
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({
    title: "Subscriptions",
    description: "CueBX API subscriptions, one per workspace."
  }))
{}

/** Changing the signed-in user's Career subscription through Stripe. */
export class CareerBillingApi extends HttpApiGroup.make("careerBilling")
  .add(
    HttpApiEndpoint.post("createCareerCheckout", "/career/subscriptions/checkout", {
      payload: CareerCheckoutRequest,
      success: CheckoutResponse,
      error: [NotFound, ...stripeCall]
    }).annotateMerge(doc(
      "Start a Stripe checkout for a paid Career plan",
      "The subscription starts when Stripe confirms the payment; with a paid plan already, it is 400."
    )),
    HttpApiEndpoint.post("previewCareerUpgrade", "/career/subscriptions/preview-upgrade", {
      payload: UpgradeRequest,
      success: CareerUpgradePreviewResponse,
      error: [NotFound, ...stripeCall]
    }).annotateMerge(doc("Preview an upgrade", "Stripe's own figures: the proration and the amount due now.")),
    HttpApiEndpoint.post("upgradeCareerPlan", "/career/subscriptions/upgrade", {
      payload: UpgradeRequest,
      success: CareerSubscriptionResponse,
      error: [NotFound, ...stripeCall, CardDeclined]
    }).annotateMerge(doc(
      "Upgrade to a higher Career plan",
      "The prorated difference is charged at once; the plan changes only once Stripe confirms the payment."
    )),
    HttpApiEndpoint.post("cancelCareerSubscription", "/career/subscriptions/cancel", {
      payload: CancelSubscriptionRequest,
      success: MessageResponse,
      error: [NotFound, ...stripeCall]
    }).annotateMerge(doc(
      "Cancel my Career subscription",
      "At the end of the period by default (cancelling again is 400), or now, back to the Free plan."
    )),
    HttpApiEndpoint.get("listCareerPayments", "/career/subscriptions/payments", {
      query: PaymentsQuery,
      success: PaymentPage
    }).annotateMerge(doc("My Career payments", "Newest first, paged by `limit` and `offset`.")),
    HttpApiEndpoint.post("createCareerPortal", "/career/subscriptions/portal", {
      payload: PortalRequest,
      success: PortalResponse,
      error: [NotFound, ...stripeCall]
    }).annotateMerge(doc(
      "Open Stripe's customer portal",
      "A portal session URL (payment methods, invoices); `return_url` must be on an allowed origin."
    ))
  )
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({
    title: "Career subscriptions",
    description: "CueBX Career subscriptions, one per user."
  }))
{}
