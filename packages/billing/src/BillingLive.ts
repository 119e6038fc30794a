/**
 * The billing services wired together: plan reads and subscriptions with their repository.
 * Needs the database from the caller.
 */
import { Layer } from "effect"
import { Plans } from "./Plans.ts"
import { Subscriptions } from "./Subscriptions.ts"
import { SubscriptionsRepo } from "./SubscriptionsRepo.ts"

export const BillingLive = Subscriptions.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(SubscriptionsRepo.layer, Plans.layer))
)
