/**
 * The billing services wired together. `BillingLive`: plan reads and subscriptions with their
 * repository (what the workspaces package builds on). `BillingStripeLive`: everything that talks
 * to Stripe, on top of it; it needs the workspaces seam (`BillingWorkspaces`), auth's profiles,
 * the outbox and the program's `HttpClient` from the caller, and carries the operators' reads
 * (subscriptions, payments, Stripe events). Both need the database.
 */
import { Layer } from "effect"
import { PaymentsDirectory } from "./admin/PaymentsDirectory.ts"
import { PlanAdmin } from "./admin/PlanAdmin.ts"
import { PlanAdminRepo } from "./admin/PlanAdminRepo.ts"
import { StripeEventDirectory } from "./admin/StripeEventDirectory.ts"
import { SubscriptionDirectory } from "./admin/SubscriptionDirectory.ts"
import { BillingContacts } from "./BillingContacts.ts"
import { CareerBilling } from "./CareerBilling.ts"
import { StripeCustomers } from "./customers/StripeCustomers.ts"
import { StripeCustomersRepo } from "./customers/StripeCustomersRepo.ts"
import { PaymentsRepo } from "./PaymentsRepo.ts"
import { Plans } from "./Plans.ts"
import { StripeGateway } from "./stripe/StripeGateway.ts"
import { Subscriptions } from "./Subscriptions.ts"
import { SubscriptionsRepo } from "./SubscriptionsRepo.ts"
import { SubscriptionState } from "./SubscriptionState.ts"
import { StripeEventsRepo } from "./webhooks/StripeEventsRepo.ts"
import { StripeWebhooks } from "./webhooks/StripeWebhooks.ts"
import { WorkspaceBilling } from "./WorkspaceBilling.ts"

export const BillingLive = Subscriptions.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(SubscriptionsRepo.layer, Plans.layer))
)

const StripeFoundations = Layer.mergeAll(
  StripeGateway.layer,
  StripeCustomersRepo.layer,
  PaymentsRepo.layer,
  StripeEventsRepo.layer,
  PlanAdminRepo.layer,
  BillingContacts.layer
)

const StripeState = Layer.mergeAll(SubscriptionState.layer, StripeCustomers.layer).pipe(
  Layer.provideMerge(StripeFoundations)
)

/** What the worker's Stripe handlers and the jobs need. */
export const BillingSyncLive = StripeState

export const BillingStripeLive = Layer.mergeAll(
  WorkspaceBilling.layer,
  CareerBilling.layer,
  StripeWebhooks.layer,
  PlanAdmin.layer,
  SubscriptionDirectory.layer,
  PaymentsDirectory.layer,
  StripeEventDirectory.layer
).pipe(Layer.provideMerge(StripeState))
