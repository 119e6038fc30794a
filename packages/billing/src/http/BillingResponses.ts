/**
 * Plans and subscriptions as the wire shows them: the reference's field names, the plan inline.
 * Amounts and instants stay `BigDecimal` and `DateTime` here; the contract's schemas encode them.
 */
import type { CareerSubscriptionResponse, PaymentResponse, PlanResponse, SubscriptionResponse } from "@cuebx/contract"
import type { PaymentPage } from "../PaymentsRepo.ts"
import type { Plan } from "../Plans.ts"
import type { ChangePreview } from "../SubscriptionChanges.ts"
import type { CareerHolding, PlanHolding, WorkspaceHolding } from "../Subscriptions.ts"

export const planResponse = (plan: Plan): PlanResponse => ({
  id: plan.id,
  name: plan.name,
  description: plan.description,
  price: plan.price,
  display_price: plan.displayPrice,
  seat_price: plan.seatPrice,
  seat_display_price: plan.seatDisplayPrice,
  is_active: plan.isActive,
  trial_days: plan.trialDays,
  type: plan.type,
  features: plan.features.map((feature) => ({
    title: feature.title,
    description: feature.description,
    value: feature.value,
    category: feature.category
  })),
  max_seats: plan.maxSeats,
  min_seats: plan.minSeats
})

const commonFields = ({ plan, subscription }: PlanHolding) => ({
  id: subscription.id,
  plan_id: subscription.planId,
  status: subscription.status,
  current_period_start: subscription.currentPeriodStart,
  current_period_end: subscription.currentPeriodEnd,
  cancel_at_period_end: subscription.cancelAtPeriodEnd,
  canceled_at: subscription.canceledAt,
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

export const paymentPageResponse = (page: PaymentPage, limit: number, offset: number) => ({
  payments: page.items.map((payment): PaymentResponse => ({
    id: payment.id,
    subscription_id: payment.subscriptionId,
    provider: payment.provider,
    provider_invoice_id: payment.providerInvoiceId,
    amount: payment.amount,
    currency: payment.currency,
    status: payment.status,
    billing_reason: payment.billingReason,
    period_start: payment.periodStart,
    period_end: payment.periodEnd,
    invoice_url: payment.hostedInvoiceUrl,
    paid_at: payment.paidAt
  })),
  total: page.total,
  limit,
  offset
})

/** The reference's preview: plan names, Stripe's figures, the end of the current period. */
export const careerPreviewResponse = (preview: ChangePreview) => ({
  current_plan: preview.currentPlan.name,
  new_plan: preview.newPlan.name,
  proration_amount: preview.prorationAmount,
  total_due: preview.totalDue,
  currency: preview.currency,
  billing_period_end: preview.billingPeriodEnd
})

export const previewResponse = (preview: ChangePreview) => ({
  ...careerPreviewResponse(preview),
  current_seat_count: preview.currentSeats,
  new_seat_count: preview.newSeats
})
