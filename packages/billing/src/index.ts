/**
 * `@cuebx/billing`: the plan catalogue and the subscriptions of both products.
 */
export * from "./BillingConfig.ts"
export * from "./BillingLive.ts"
export * from "./catalogue/CatalogueDefaults.ts"
export * from "./catalogue/CatalogueDiff.ts"
export * from "./catalogue/CatalogueFile.ts"
export * from "./catalogue/PlanCatalogue.ts"
export * from "./FeatureKeys.ts"
export * from "./http/BillingErrors.ts"
export * from "./http/BillingResponses.ts"
export * from "./http/CareerSubscriptionsHttp.ts"
export * from "./http/PlansHttp.ts"
export * from "./Plans.ts"
export * from "./Subscriptions.ts"
export * from "./SubscriptionsRepo.ts"
