/**
 * Subscriptions as the wire shows them: lowercase statuses, ISO timestamps, the plan inline.
 */
import type { CareerSubscriptionResponse, SubscriptionResponse, SubscriptionStatus } from "@cuebx/contract"
import { planResponse } from "../Plans.ts"
import type { CareerHolding, PlanHolding, WorkspaceHolding } from "../Subscriptions.ts"

const iso = (date: Date | null) => date === null ? null : date.toISOString()

const commonFields = ({ subscription, plan }: PlanHolding) => ({
  id: subscription.id,
  plan_id: subscription.planId,
  status: subscription.status.toLowerCase() as SubscriptionStatus,
  current_period_start: iso(subscription.currentPeriodStart),
  current_period_end: iso(subscription.currentPeriodEnd),
  cancel_at_period_end: subscription.cancelAtPeriodEnd,
  canceled_at: iso(subscription.canceledAt),
  plan: planResponse(plan)
})

export const subscriptionResponse = (holding: WorkspaceHolding): SubscriptionResponse => {
  const { plan, ...common } = commonFields(holding)
  return {
    ...common,
    workspace_id: holding.workspaceId,
    seat_count: holding.subscription.seatCount,
    credits_allocation: holding.creditsAllocation,
    credits_used: holding.creditsUsed,
    plan
  }
}

export const careerSubscriptionResponse = (holding: CareerHolding): CareerSubscriptionResponse => {
  const { plan, ...common } = commonFields(holding)
  return { ...common, user_id: holding.userId, plan }
}
