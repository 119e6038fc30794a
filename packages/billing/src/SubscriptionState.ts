/**
 * Converges CueBX's subscriptions on Stripe's: `apply` takes a Stripe subscription as Stripe has
 * it now (fetched by a webhook handler, or Stripe's answer to our own change) and writes its
 * status, plan, seats, period and cancellation, creating the local row from the subscription's
 * metadata when it has none yet (an update that arrives before its checkout). It locks the owner
 * first, skips events older than the last one applied, and carries the consequences in the same
 * transaction: the owner's current subscription, the credits count, the Free fallback when a paid
 * subscription ends, the workspace's seats and status, the emails, and the change announcement.
 */
import { Outbox } from "@cuebx/broker"
import { type ProductType, SubscriptionStatus } from "@cuebx/contract"
import { announce, isUuid } from "@cuebx/db"
import { SubscriptionActivatedMessage, SubscriptionCanceledMessage } from "@cuebx/email"
import { BigDecimal, Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { BillingContacts } from "./BillingContacts.ts"
import { BillingWorkspaces } from "./BillingWorkspaces.ts"
import { type Plan, Plans } from "./Plans.ts"
import type { StripeSubscription, StripeSubscriptionItem } from "./stripe/StripeObjects.ts"
import { currentStatuses } from "./Subscriptions.ts"
import { type Subscription, SubscriptionsRepo } from "./SubscriptionsRepo.ts"

/** Whom a subscription is for: a workspace (API) or a user (Career). */
export interface BillingOwner {
  readonly product: ProductType
  readonly ownerId: string
}

export const productNames: Readonly<Record<ProductType, string>> = { API: "CueBX API", CAREER: "CueBX Career" }

/** Stripe knows the subscription, but neither CueBX nor its metadata says whose it is. */
export class UnattributableSubscription extends Schema.TaggedError<UnattributableSubscription>()(
  "UnattributableSubscription",
  { stripeSubscriptionId: Schema.String }
) {}

/** None of the subscription's prices, nor its metadata, names a plan of its product. */
export class UnknownStripePlan extends Schema.TaggedError<UnknownStripePlan>()("UnknownStripePlan", {
  stripeSubscriptionId: Schema.String
}) {}

export type ApplyError = UnattributableSubscription | UnknownStripePlan

export type ApplyOutcome =
  | { readonly _tag: "Applied"; readonly subscription: Subscription; readonly owner: BillingOwner }
  | { readonly _tag: "Stale" }

export interface ApplyOptions {
  /** `created` of the event being applied; `None` for Stripe's answer to a change CueBX made. */
  readonly eventCreated: Option.Option<DateTime.Utc>
  /** Metadata to fall back on when the subscription's lacks it (the checkout session's). */
  readonly fallbackMetadata?: Readonly<Record<string, string>>
}

const isSubscriptionStatus = Schema.is(SubscriptionStatus)
const endedStatuses: ReadonlySet<SubscriptionStatus> = new Set(["canceled", "incomplete_expired"])

const asUuid = (value: string | undefined) => value !== undefined && isUuid(value) ? value.toLowerCase() : undefined

const cents = (amount: number) => BigDecimal.make(BigInt(amount), 2)

const periodTotal = (items: ReadonlyArray<StripeSubscriptionItem>): BigDecimal.BigDecimal | null => {
  const total = items.reduce((sum, item) => sum + (item.price.unit_amount ?? 0) * item.quantity, 0)
  return total === 0 ? null : cents(total)
}

const sameInstant = (a: DateTime.Utc | null, b: DateTime.Utc | null) =>
  a === null || b === null ? a === b : DateTime.Equivalence(a, b)

const ownerOf = (
  known: Option.Option<Subscription>,
  metadata: Readonly<Record<string, string>>
): Option.Option<BillingOwner> => {
  if (Option.isSome(known) && known.value.ownerId !== null) {
    return Option.some({ product: known.value.productType, ownerId: known.value.ownerId })
  }
  const product: ProductType = metadata["product_type"]?.toLowerCase() === "career" ? "CAREER" : "API"
  const ownerId = asUuid(product === "API" ? metadata["workspace_id"] : metadata["user_id"])
  return ownerId === undefined ? Option.none() : Option.some({ product, ownerId })
}

export class SubscriptionState extends Context.Service<SubscriptionState, {
  /** Writes Stripe's state of one subscription and its consequences; run in a transaction. */
  apply(subscription: StripeSubscription, options: ApplyOptions): Effect.Effect<ApplyOutcome, ApplyError>
  /** Ends a subscription Stripe no longer has, as its deletion would; run in a transaction. */
  expire(subscription: Subscription): Effect.Effect<void>
}>()("@cuebx/billing/SubscriptionState") {
  static readonly layer = Layer.effect(
    SubscriptionState,
    Effect.gen(function*() {
      const repo = yield* SubscriptionsRepo
      const plans = yield* Plans
      const workspaces = yield* BillingWorkspaces
      const contacts = yield* BillingContacts
      const outbox = yield* Outbox
      const sql = yield* SqlClient.SqlClient
      const announceChange = (ownerId: string) =>
        announce("subscription", ownerId).pipe(Effect.provideService(SqlClient.SqlClient, sql))

      /** Locks the owner; `false` for a workspace that no longer exists (its rows are kept, without effects). */
      const lockOwner = ({ ownerId, product }: BillingOwner) =>
        product === "API"
          ? Effect.map(workspaces.lock(ownerId), Option.isSome)
          : Effect.as(repo.lockCareerOf(ownerId), true)

      const emailActivated = Effect.fnUntraced(function*(owner: BillingOwner, plan: Plan, seats: number) {
        const contact = yield* contacts.of(owner)
        if (Option.isNone(contact)) return
        yield* outbox.enqueue(SubscriptionActivatedMessage, {
          email: contact.value.email,
          user_name: contact.value.name,
          plan_name: plan.name,
          workspace_name: contact.value.workspaceName,
          seat_count: owner.product === "API" ? seats : null,
          product_name: productNames[owner.product]
        })
      })

      const emailCanceled = Effect.fnUntraced(function*(owner: BillingOwner, plan: Plan) {
        const contact = yield* contacts.of(owner)
        if (Option.isNone(contact)) return
        yield* outbox.enqueue(SubscriptionCanceledMessage, {
          email: contact.value.email,
          user_name: contact.value.name,
          plan_name: plan.name,
          workspace_name: contact.value.workspaceName,
          product_name: productNames[owner.product]
        })
      })

      /** The owner's subscription ended: a new Free one becomes current, with a fresh count of credits. */
      const fallBackToFree = Effect.fnUntraced(function*(owner: BillingOwner, ended: Plan, ownerExists: boolean) {
        const free = yield* plans.freePlan(owner.product)
        if (Option.isNone(free)) {
          return yield* Effect.die(`the ${owner.product} Free plan is missing or inactive: run \`cuebx sync-plans\``)
        }
        const freeId = yield* repo.insert({
          planId: free.value.id,
          productType: owner.product,
          ownerId: owner.ownerId,
          status: "active",
          seatCount: 1
        })
        yield* repo.pointContext(owner.product, owner.ownerId, freeId, { resetCredits: true })
        if (owner.product === "API" && ownerExists) yield* workspaces.fitToSeats(owner.ownerId, 1)
        yield* emailCanceled(owner, ended)
      })

      const resolvePlan = Effect.fnUntraced(function*(
        product: ProductType,
        subscription: StripeSubscription,
        known: Option.Option<Subscription>,
        metadata: Readonly<Record<string, string>>
      ) {
        for (const item of subscription.items.data) {
          const plan = yield* plans.byStripePrice(product, item.price.id)
          if (Option.isSome(plan)) return plan.value
        }
        const planId = Option.isSome(known) ? known.value.planId : asUuid(metadata["plan_id"])
        const plan = planId === undefined ? Option.none() : yield* plans.byId(planId)
        if (Option.isSome(plan) && plan.value.productType === product) return plan.value
        return yield* new UnknownStripePlan({ stripeSubscriptionId: subscription.id })
      })

      const apply = Effect.fn("SubscriptionState.apply")(function*(
        stripe: StripeSubscription,
        options: ApplyOptions
      ) {
        const status = stripe.status
        if (!isSubscriptionStatus(status)) {
          return yield* Effect.die(`Stripe subscription ${stripe.id} has an unknown status ${status}`)
        }
        const metadata = { ...options.fallbackMetadata, ...stripe.metadata }
        const owner = ownerOf(yield* repo.findByStripeId(stripe.id), metadata)
        if (Option.isNone(owner)) return yield* new UnattributableSubscription({ stripeSubscriptionId: stripe.id })
        const ownerExists = yield* lockOwner(owner.value)
        const known = yield* repo.lockByStripeId(stripe.id)
        const eventCreated = Option.getOrNull(options.eventCreated)
        const lastApplied = Option.isSome(known) ? known.value.stripeEventCreatedAt : null
        if (eventCreated !== null && lastApplied !== null && DateTime.isLessThan(eventCreated, lastApplied)) {
          return { _tag: "Stale" } as const
        }

        const { product } = owner.value
        const plan = yield* resolvePlan(product, stripe, known, metadata)
        const items = stripe.items.data
        const base = items.find((item) => item.price.id === plan.stripePriceId) ?? items[0]
        const seatItem = plan.seatStripePriceId === null
          ? undefined
          : items.find((item) => item.price.id === plan.seatStripePriceId)
        const metadataSeats = Number(metadata["seat_count"])
        const seats = product === "CAREER"
          ? 1
          : Math.max(
            1,
            seatItem?.quantity ??
              (Option.isSome(known)
                ? known.value.seatCount
                : Number.isInteger(metadataSeats)
                ? metadataSeats
                : 1)
          )
        const write = {
          planId: plan.id,
          stripeCustomerId: stripe.customer,
          status,
          seatCount: seats,
          currentPeriodStart: base?.current_period_start ?? null,
          currentPeriodEnd: base?.current_period_end ?? null,
          cancelAtPeriodEnd: stripe.cancel_at_period_end,
          canceledAt: stripe.canceled_at ?? stripe.ended_at,
          amount: periodTotal(items),
          stripeEventCreatedAt:
            eventCreated === null || (lastApplied !== null && DateTime.isLessThan(eventCreated, lastApplied))
              ? lastApplied
              : eventCreated
        }
        const before = Option.getOrUndefined(known)
        const after = before === undefined
          ? yield* repo.insertFromStripe({
            ...write,
            productType: product,
            ownerId: owner.value.ownerId,
            stripeSubscriptionId: stripe.id
          })
          : yield* repo.updateFromStripe(before.id, write)

        const context = yield* repo.contextOf(product, owner.value.ownerId)
        const isContext = Option.contains(context, after.id)
        const isCurrent = currentStatuses.has(status)
        const fit = (count: number) =>
          product === "API" && ownerExists ? workspaces.fitToSeats(owner.value.ownerId, count) : Effect.void
        if (isCurrent && !isContext) {
          if (Option.isSome(context)) yield* repo.markCanceled(context.value, yield* DateTime.now)
          yield* repo.pointContext(product, owner.value.ownerId, after.id, { resetCredits: true })
          yield* fit(seats)
          yield* emailActivated(owner.value, plan, seats)
        } else if (isCurrent) {
          const planChanged = before !== undefined && before.planId !== after.planId
          const newPeriod = before !== undefined && before.currentPeriodStart !== null &&
            !sameInstant(before.currentPeriodStart, after.currentPeriodStart)
          if (planChanged || newPeriod) yield* repo.resetCredits(product, owner.value.ownerId)
          const wasCurrent = before !== undefined && currentStatuses.has(before.status)
          if (planChanged || !wasCurrent || before.seatCount !== seats) yield* fit(seats)
          if (planChanged) yield* emailActivated(owner.value, plan, seats)
        } else if (isContext && endedStatuses.has(status)) {
          yield* fallBackToFree(owner.value, plan, ownerExists)
        } else if (isContext && product === "API" && ownerExists) {
          yield* workspaces.freeze(owner.value.ownerId)
        }
        yield* announceChange(owner.value.ownerId)
        return { _tag: "Applied", subscription: after, owner: owner.value } as const
      })

      return SubscriptionState.of({
        apply,
        expire: Effect.fn("SubscriptionState.expire")(function*(subscription) {
          if (subscription.ownerId === null) return
          const owner: BillingOwner = { product: subscription.productType, ownerId: subscription.ownerId }
          const ownerExists = yield* lockOwner(owner)
          yield* repo.markCanceled(subscription.id, yield* DateTime.now)
          const context = yield* repo.contextOf(owner.product, owner.ownerId)
          if (Option.contains(context, subscription.id)) {
            const plan = yield* plans.byId(subscription.planId)
            if (Option.isSome(plan)) yield* fallBackToFree(owner, plan.value, ownerExists)
          }
          yield* announceChange(owner.ownerId)
        })
      })
    })
  )
}
