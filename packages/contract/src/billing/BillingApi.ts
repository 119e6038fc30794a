/**
 * The plan catalogue (public) and the current subscription of a workspace or of the signed-in
 * user. Checkout, seats, upgrades and cancellation join these groups with the billing issue.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Authentication } from "../auth/AuthApi.ts"
import { doc } from "../Docs.ts"
import { Forbidden, NotFound, TooManyRequestsResponse } from "../Errors.ts"
import { Uuid } from "../Ids.ts"
import { CareerSubscriptionResponse, PlanListResponse, PlanResponse, SubscriptionResponse } from "./BillingModels.ts"

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
