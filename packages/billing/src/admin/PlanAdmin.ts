/**
 * Plan administration with Stripe kept in step: a paid plan has a Stripe product and a price for
 * its base amount and for its seats. Prices are immutable, so a new amount, currency or billing
 * period creates a new price and archives the old one (subscribers keep theirs until they change
 * plan); deleting a plan hides it from the catalogue and new checkouts and archives its Stripe
 * objects. Each Stripe call happens before the row is written and carries a key derived from
 * the plan and the values it creates, so a retried request creates nothing twice. `syncStripe`
 * (`cuebx sync-plans --stripe`) creates what the catalogue's paid plans miss in Stripe.
 */
import type { ProductType } from "@cuebx/contract"
import { announce, transactionWith } from "@cuebx/db"
import { BigDecimal, Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type Stripe from "stripe"
import type { PlanFeature } from "../Plans.ts"
import { idempotencyKey, type StripeFailed, StripeGateway } from "../stripe/StripeGateway.ts"
import { productNames } from "../SubscriptionState.ts"
import { type AdminPlan, type AdminPlanWrite, PlanAdminRepo, type PlanPricingRule } from "./PlanAdminRepo.ts"

export class AdminPlanNotFound extends Schema.TaggedError<AdminPlanNotFound>()("AdminPlanNotFound", {
  planId: Schema.String
}) {}

/** Another plan of the product has this name or this rank. */
export class PlanClash extends Schema.TaggedError<PlanClash>()("PlanClash", {
  field: Schema.Literals(["name", "rank"])
}) {}

/** The plan's values contradict each other (a priced free plan, a paid plan with no price…). */
export class InvalidPlan extends Schema.TaggedError<InvalidPlan>()("InvalidPlan", { reason: Schema.String }) {}

export type BillingPeriod = "month" | "year"

export interface PlanFields {
  readonly name: string
  readonly description: string | null
  readonly price: BigDecimal.BigDecimal
  readonly displayPrice: string | null
  readonly seatPrice: BigDecimal.BigDecimal
  readonly seatDisplayPrice: string | null
  readonly currency: string
  readonly billingPeriod: BillingPeriod
  readonly rank: number
  readonly trialDays: number | null
  readonly features: ReadonlyArray<PlanFeature>
  readonly maxSeats: number | null
  readonly minSeats: number
  readonly isActive: boolean
}

export interface NewPlan extends PlanFields {
  readonly productType: ProductType
  readonly type: "free" | "paid"
  readonly creditsAllocation: BigDecimal.BigDecimal
  readonly rateLimitPerMinute: number | null
  readonly rateLimitPerDay: number | null
}

type PlanError = AdminPlanNotFound | PlanClash | InvalidPlan | StripeFailed

/**
 * Work to commit with a plan's write, in its transaction (an operator's audit entry): the plan
 * before (`null` when created) and after.
 */
export type AlongsidePlanWrite = (
  change: { readonly before: AdminPlan | null; readonly after: AdminPlan }
) => Effect.Effect<void>

const nothingAlongside: AlongsidePlanWrite = () => Effect.void

const zero = BigDecimal.fromBigInt(0n)
const isPositive = (amount: BigDecimal.BigDecimal) => BigDecimal.isGreaterThan(amount, zero)
const centsOf = (amount: BigDecimal.BigDecimal) => Number(BigDecimal.scale(amount, 2).value)

const validate = (type: "free" | "paid", fields: PlanFields): Effect.Effect<void, InvalidPlan> => {
  const reason = type === "free" && (isPositive(fields.price) || isPositive(fields.seatPrice))
    ? "A free plan has no price."
    : type === "paid" && !isPositive(fields.price) && !isPositive(fields.seatPrice)
    ? "A paid plan needs a price or a seat price."
    : fields.maxSeats !== null && fields.maxSeats < fields.minSeats
    ? "max_seats cannot be less than min_seats."
    : undefined
  return reason === undefined ? Effect.void : Effect.fail(new InvalidPlan({ reason }))
}

const productParams = (productType: ProductType, fields: PlanFields, planId: string) => ({
  name: `${productNames[productType]} ${fields.name}`,
  ...(fields.description === null ? {} : { description: fields.description }),
  metadata: { plan_id: planId, product_type: productType.toLowerCase() }
})

const writeOf = (plan: AdminPlan, fields: PlanFields): AdminPlanWrite => ({
  productType: plan.productType,
  type: plan.type,
  name: fields.name,
  description: fields.description,
  price: fields.price,
  displayPrice: fields.displayPrice,
  rank: fields.rank,
  stripePriceId: plan.stripePriceId,
  seatPrice: fields.seatPrice,
  seatDisplayPrice: fields.seatDisplayPrice,
  seatStripePriceId: plan.seatStripePriceId,
  isActive: fields.isActive,
  trialDays: fields.trialDays,
  features: fields.features,
  maxSeats: fields.maxSeats,
  minSeats: fields.minSeats,
  stripeProductId: plan.stripeProductId,
  currency: fields.currency,
  billingPeriod: fields.billingPeriod
})

/** Whether Stripe has the object: `false` for a 404, Stripe's other failures as they are. */
const exists = (lookup: Effect.Effect<unknown, StripeFailed>) =>
  lookup.pipe(
    Effect.as(true),
    Effect.catchTag("StripeFailed", (error) => error.isMissing ? Effect.succeed(false) : Effect.fail(error))
  )

export class PlanAdmin extends Context.Service<PlanAdmin, {
  list(product: ProductType | undefined): Effect.Effect<ReadonlyArray<AdminPlan>>
  get(planId: string): Effect.Effect<AdminPlan, AdminPlanNotFound>
  /** Any plan, deleted ones included (the operators' view). */
  find(planId: string): Effect.Effect<Option.Option<AdminPlan>>
  create(plan: NewPlan, alongside?: AlongsidePlanWrite): Effect.Effect<AdminPlan, PlanError>
  update(
    planId: string,
    changes: Partial<PlanFields>,
    alongside?: AlongsidePlanWrite
  ): Effect.Effect<AdminPlan, PlanError>
  remove(planId: string, alongside?: AlongsidePlanWrite): Effect.Effect<AdminPlan, PlanError>
  /** The plan's credits and rate limits; `None` for a plan without a pricing rule. */
  pricingRule(planId: string): Effect.Effect<Option.Option<PlanPricingRule>>
  /** Creates the Stripe products and prices paid plans miss; returns what it did, one line each. */
  readonly syncStripe: Effect.Effect<ReadonlyArray<string>, StripeFailed>
}>()("@cuebx/billing/PlanAdmin") {
  static readonly layer = Layer.effect(
    PlanAdmin,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const inTransaction = transactionWith(sql)
      const repo = yield* PlanAdminRepo
      const stripe = yield* StripeGateway
      const announcePlan = (id: string) => announce("plan", id).pipe(Effect.provideService(SqlClient.SqlClient, sql))

      const found = (planId: string) =>
        Effect.flatMap(repo.find(planId), (plan) =>
          Option.isSome(plan) && !plan.value.isDeleted
            ? Effect.succeed(plan.value)
            : Effect.fail(new AdminPlanNotFound({ planId })))

      const requireUnique = Effect.fnUntraced(function*(
        plan: { readonly id: string; readonly productType: ProductType; readonly name: string; readonly rank: number }
      ) {
        const clashes = yield* repo.clashes(plan)
        if (clashes.some((other) => other.name === plan.name)) return yield* new PlanClash({ field: "name" })
        if (clashes.length > 0) return yield* new PlanClash({ field: "rank" })
      })

      const createPrice = (
        planId: string,
        product: string,
        kind: "base" | "seat",
        amount: BigDecimal.BigDecimal,
        fields: Pick<PlanFields, "currency" | "billingPeriod">,
        replacing: string | null
      ) => {
        const params: Stripe.PriceCreateParams = {
          product,
          unit_amount: centsOf(amount),
          currency: fields.currency,
          recurring: { interval: fields.billingPeriod },
          metadata: { plan_id: planId, kind }
        }
        return Effect.map(
          stripe.createPrice(params, idempotencyKey("price", { planId, kind, params, replacing })),
          (price) => price.id
        )
      }

      const archivePrice = (priceId: string) =>
        stripe.updatePrice(priceId, { active: false }, idempotencyKey("archive-price", { priceId }))

      /** A price for `amount` (none when it is 0): the stored one if its terms are unchanged, else a new one. */
      const priceFor = Effect.fnUntraced(function*(
        plan: AdminPlan,
        product: string,
        kind: "base" | "seat",
        amount: BigDecimal.BigDecimal,
        fields: PlanFields
      ) {
        const stored = kind === "base" ? plan.stripePriceId : plan.seatStripePriceId
        const before = kind === "base" ? plan.price : plan.seatPrice
        const sameTerms = BigDecimal.equals(before, amount) && plan.currency === fields.currency &&
          plan.billingPeriod === fields.billingPeriod
        if (stored !== null && sameTerms) return stored
        if (stored !== null) yield* archivePrice(stored)
        return isPositive(amount) ? yield* createPrice(plan.id, product, kind, amount, fields, stored) : null
      })

      return PlanAdmin.of({
        list: (product) => repo.list(product),
        get: found,
        find: (planId) => repo.find(planId),
        pricingRule: (planId) => repo.pricingRule(planId),
        create: Effect.fn("PlanAdmin.create")(function*(input, alongside = nothingAlongside) {
          const id = crypto.randomUUID()
          yield* validate(input.type, input)
          yield* requireUnique({ id, productType: input.productType, name: input.name, rank: input.rank })
          let stripeProductId: string | null = null
          let stripePriceId: string | null = null
          let seatStripePriceId: string | null = null
          if (input.type === "paid") {
            const product = yield* stripe.createProduct(
              { ...productParams(input.productType, input, id), active: input.isActive },
              idempotencyKey("product", { planId: id })
            )
            stripeProductId = product.id
            if (isPositive(input.price)) {
              stripePriceId = yield* createPrice(id, product.id, "base", input.price, input, null)
            }
            if (isPositive(input.seatPrice)) {
              seatStripePriceId = yield* createPrice(id, product.id, "seat", input.seatPrice, input, null)
            }
          }
          const plan = yield* inTransaction(Effect.gen(function*() {
            const created = yield* repo.insert(id, {
              productType: input.productType,
              type: input.type,
              name: input.name,
              description: input.description,
              price: input.price,
              displayPrice: input.displayPrice,
              rank: input.rank,
              stripePriceId,
              seatPrice: input.seatPrice,
              seatDisplayPrice: input.seatDisplayPrice,
              seatStripePriceId,
              isActive: input.isActive,
              trialDays: input.trialDays,
              features: input.features,
              maxSeats: input.maxSeats,
              minSeats: input.minSeats,
              stripeProductId,
              currency: input.currency,
              billingPeriod: input.billingPeriod
            }, {
              planId: id,
              multiplier: BigDecimal.fromBigInt(1n),
              creditsAllocation: input.creditsAllocation,
              rateLimitPerMinute: input.rateLimitPerMinute,
              rateLimitPerDay: input.rateLimitPerDay
            })
            yield* announcePlan(id)
            yield* alongside({ before: null, after: created })
            return created
          }))
          return plan
        }),
        update: Effect.fn("PlanAdmin.update")(function*(planId, changes, alongside = nothingAlongside) {
          const plan = yield* found(planId)
          const fields: PlanFields = { ...plan, ...changes }
          yield* validate(plan.type, fields)
          yield* requireUnique({ id: plan.id, productType: plan.productType, name: fields.name, rank: fields.rank })
          let next = plan
          if (plan.type === "paid") {
            const product = plan.stripeProductId === null
              ? yield* stripe.createProduct(
                { ...productParams(plan.productType, fields, plan.id), active: fields.isActive },
                idempotencyKey("product", { planId: plan.id })
              )
              : yield* stripe.updateProduct(
                plan.stripeProductId,
                { ...productParams(plan.productType, fields, plan.id), active: fields.isActive },
                idempotencyKey("product-update", {
                  planId: plan.id,
                  fields: productParams(plan.productType, fields, plan.id),
                  active: fields.isActive,
                  version: plan.updatedAt
                })
              )
            next = {
              ...plan,
              stripeProductId: product.id,
              stripePriceId: yield* priceFor(plan, product.id, "base", fields.price, fields),
              seatStripePriceId: yield* priceFor(plan, product.id, "seat", fields.seatPrice, fields)
            }
          }
          return yield* inTransaction(Effect.gen(function*() {
            const updated = yield* repo.update(plan.id, writeOf(next, fields))
            yield* announcePlan(plan.id)
            yield* alongside({ before: plan, after: updated })
            return updated
          }))
        }),
        remove: Effect.fn("PlanAdmin.remove")(function*(planId, alongside = nothingAlongside) {
          const plan = yield* found(planId)
          if (plan.type === "free") return yield* new InvalidPlan({ reason: "A Free plan cannot be deleted." })
          for (const priceId of [plan.stripePriceId, plan.seatStripePriceId]) {
            if (priceId !== null) yield* archivePrice(priceId)
          }
          if (plan.stripeProductId !== null) {
            yield* stripe.updateProduct(
              plan.stripeProductId,
              { active: false },
              idempotencyKey("archive-product", { product: plan.stripeProductId })
            )
          }
          return yield* inTransaction(Effect.gen(function*() {
            const deleted = yield* repo.softDelete(plan.id)
            yield* announcePlan(plan.id)
            yield* alongside({ before: plan, after: deleted })
            return deleted
          }))
        }),
        syncStripe: Effect.gen(function*() {
          const done: Array<string> = []
          for (const plan of yield* repo.list(undefined)) {
            if (plan.type !== "paid" || plan.isDeleted) continue
            const label = `${plan.productType}/${plan.name}`
            let product = plan.stripeProductId
            if (product === null || !(yield* exists(stripe.retrieveProduct(product)))) {
              product = (yield* stripe.createProduct(
                { ...productParams(plan.productType, plan, plan.id), active: plan.isActive },
                idempotencyKey("product", { planId: plan.id, replacing: product })
              )).id
              done.push(`  + Stripe product ${product} for ${label}`)
            }
            const ensurePrice = Effect.fnUntraced(function*(kind: "base" | "seat") {
              const stored = kind === "base" ? plan.stripePriceId : plan.seatStripePriceId
              const amount = kind === "base" ? plan.price : plan.seatPrice
              if (!isPositive(amount)) return stored
              if (stored !== null && (yield* exists(stripe.retrievePrice(stored)))) return stored
              const created = yield* createPrice(plan.id, product!, kind, amount, plan, stored)
              done.push(`  + Stripe ${kind} price ${created} for ${label}`)
              return created
            })
            const next = {
              ...plan,
              stripeProductId: product,
              stripePriceId: yield* ensurePrice("base"),
              seatStripePriceId: yield* ensurePrice("seat")
            }
            if (
              next.stripeProductId !== plan.stripeProductId || next.stripePriceId !== plan.stripePriceId ||
              next.seatStripePriceId !== plan.seatStripePriceId
            ) {
              yield* inTransaction(Effect.andThen(repo.update(plan.id, writeOf(next, plan)), announcePlan(plan.id)))
            }
          }
          return done
        }).pipe(Effect.withSpan("PlanAdmin.syncStripe"))
      })
    })
  )
}
