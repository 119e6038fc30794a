/**
 * The `cuebx` command line: `migrate` (create the database if needed, apply pending migrations),
 * `sync-plans` (bring the plan catalogue, its pricing rules and feature costs in line with
 * plans.json), `openapi` (print the OpenAPI document; needs no database, Redis or RabbitMQ) and
 * `dlq list` / `dlq replay` (inspect and replay dead letters).
 */
import { toDlqMessage } from "@cuebx/admin"
import {
  type CatalogueDiff,
  diffSummary,
  type FieldChange,
  PlanAdmin,
  PlanAdminRepo,
  PlanCatalogue,
  type PlanDiff,
  StripeGateway
} from "@cuebx/billing"
import { Broker, type DeadLetter, DeadLetters } from "@cuebx/broker"
import { DatabaseUrl, Infrastructure, ProductionGuard } from "@cuebx/config"
import { CuebxApi, DlqMessage, formatAmount } from "@cuebx/contract"
import { DatabaseLive, ensureDatabase, ProgramDatabase, runMigrations } from "@cuebx/db"
import { Console, DateTime, Effect, Layer, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { OpenApi } from "effect/http-api"

const migrate = Command.make(
  "migrate",
  {},
  Effect.fn("cli.migrate")(function*() {
    if ((yield* Infrastructure).database === "embedded") {
      // The embedded database is created and migrated whenever it starts.
      yield* Effect.provide(Effect.void, ProgramDatabase)
      return yield* Console.log("The embedded database is up to date.")
    }
    const url = yield* DatabaseUrl
    if (yield* ensureDatabase(url)) yield* Console.log("Created the database.")
    const applied = yield* runMigrations.pipe(Effect.provide(DatabaseLive))
    yield* Console.log(
      applied.length === 0
        ? "Database is up to date."
        : applied.map(([id, name]) => `Applied ${String(id).padStart(4, "0")}_${name}`).join("\n")
    )
  }, Effect.provide(ProductionGuard))
).pipe(Command.withDescription("Create the database if it does not exist and apply pending migrations"))

const describeChanges = (changes: ReadonlyArray<FieldChange>) =>
  changes.map((change) => `${change.field} ${change.before} → ${change.after}`).join(", ")

const describePlan = ({ entry, action, changes }: PlanDiff) => {
  const outcome = action === "update"
    ? `update: ${describeChanges(changes)}`
    : action === "kept"
    ? `kept (--missing-only), file differs: ${describeChanges(changes)}`
    : action
  const price = entry.displayPrice ?? `$${formatAmount(entry.price)}`
  return `  - ${entry.productType}/${entry.name}: ${price}  (${outcome})`
}

const describeDiff = (diff: CatalogueDiff, dryRun: boolean) => {
  const lines = [`Found ${diff.plans.length} plans to sync`]
  if (dryRun) lines.push("DRY RUN - No changes will be made")
  lines.push(...diff.plans.map(describePlan))
  for (const rule of diff.pricingRules) {
    if (rule.action !== "create") continue
    const { creditsAllocation, rateLimitPerMinute, rateLimitPerDay, multiplier } = rule.rule
    lines.push(
      `  + pricing rule ${rule.productType}/${rule.planName}: ${formatAmount(creditsAllocation)} credits, ` +
        `${rateLimitPerMinute ?? "unlimited"}/minute, ${rateLimitPerDay ?? "unlimited"}/day, ` +
        `multiplier ${formatAmount(multiplier)}`
    )
  }
  for (const { cost, action } of diff.featureCosts) {
    if (action === "create") {
      lines.push(`  + feature cost ${cost.featureKey}: ${formatAmount(cost.internalCostCredits)} credits`)
    }
  }
  const summary = diffSummary(diff)
  const kept = summary.plansKept > 0 ? `, ${summary.plansKept} kept despite differences (--missing-only)` : ""
  lines.push(
    dryRun
      ? `Would create ${summary.plansCreated}, update ${summary.plansUpdated}, create ${summary.pricingRulesCreated} ` +
        `pricing rules and ${summary.featureCostsCreated} feature costs${kept}`
      : `Sync complete: ${summary.plansCreated} created, ${summary.plansUpdated} updated, ` +
        `${summary.pricingRulesCreated} pricing rules created, ${summary.featureCostsCreated} feature costs created${kept}`
  )
  return lines.join("\n")
}

const syncPlans = Command.make(
  "sync-plans",
  {
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withAlias("n"),
      Flag.withDescription("Print what would change, change nothing"),
      Flag.withDefault(false)
    ),
    missingOnly: Flag.Boolean("missing-only").pipe(
      Flag.withDescription(
        "Only create missing plans, pricing rules and feature costs; leave existing plans as they are"
      ),
      Flag.withDefault(false)
    ),
    file: Flag.File("file").pipe(
      Flag.withDescription("A catalogue file instead of the packaged plans.json"),
      Flag.optional
    ),
    stripe: Flag.Boolean("stripe").pipe(
      Flag.withDescription("Then create the Stripe products and prices the paid plans miss (STRIPE_API_KEY)"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("cli.syncPlans")(
    function*({ dryRun, missingOnly, file, stripe }) {
      const catalogue = yield* PlanCatalogue
      const options = {
        mode: missingOnly ? "missingOnly" as const : "full" as const,
        ...(Option.isSome(file) ? { file: file.value } : {})
      }
      const diff = yield* dryRun ? catalogue.diff(options) : catalogue.sync(options)
      yield* Console.log(describeDiff(diff, dryRun))
      if (!stripe) return
      if (dryRun) return yield* Console.log("Stripe: nothing is created in a dry run")
      const created = yield* (yield* PlanAdmin).syncStripe
      yield* Console.log(
        created.length === 0
          ? "Stripe: every paid plan has its product and prices"
          : ["Stripe:", ...created].join("\n")
      )
    },
    Effect.mapError((error) => error.message),
    Effect.provide(
      Layer.mergeAll(PlanCatalogue.layer, PlanAdmin.layer).pipe(
        Layer.provide(Layer.mergeAll(PlanAdminRepo.layer, StripeGateway.layer)),
        Layer.provideMerge(ProgramDatabase)
      )
    ),
    Effect.provide(ProductionGuard)
  )
).pipe(Command.withDescription(
  "Sync plans from plans.json and create missing pricing rules and feature costs (existing ones are kept); " +
    "--stripe also creates the missing Stripe products and prices"
))

const openapi = Command.make(
  "openapi",
  {},
  () => Console.log(JSON.stringify(OpenApi.fromApi(CuebxApi), null, 2))
).pipe(Command.withDescription("Print the OpenAPI 3.1 document of the REST API"))

const describeDeadLetter = (row: DeadLetter) =>
  [
    row.id,
    row.queueName,
    row.status,
    `attempts=${row.attemptCount}`,
    DateTime.formatIso(row.createdAt),
    row.errorMessage ?? ""
  ].join("  ")

/** A dead letter as the admin API shows it: secrets redacted, timestamps in ISO 8601. */
const encodeDlqMessage = Schema.encodeSync(Schema.fromJsonString(DlqMessage))

const dlqList = Command.make(
  "list",
  {
    queue: Flag.String("queue").pipe(Flag.withDescription("A dead-letter queue, e.g. otp_emails_dead"), Flag.optional),
    status: Flag.Literals("status", ["pending", "retried", "discarded"]).pipe(Flag.withDefault("pending")),
    limit: Flag.Int("limit").pipe(Flag.withDefault(50)),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("One JSON object per line (the admin API's shape), bodies redacted"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("cli.dlq.list")(
    function*({ queue, status, limit, json }) {
      const deadLetters = yield* DeadLetters
      const page = yield* deadLetters.list({ queue: Option.getOrUndefined(queue), status, limit, offset: 0 })
      for (const row of page.items) {
        yield* Console.log(json ? encodeDlqMessage(toDlqMessage(row)) : describeDeadLetter(row))
      }
      if (!json) yield* Console.log(`${page.items.length} of ${page.total} ${status} dead letters`)
    },
    Effect.provide(DeadLetters.layer.pipe(Layer.provide(Broker.layerUnavailable), Layer.provideMerge(ProgramDatabase)))
  )
).pipe(Command.withDescription("List dead letters, newest first"))

const dlqReplay = Command.make(
  "replay",
  { id: Argument.String("id").pipe(Argument.withDescription("The dead letter's id (from `dlq list`)")) },
  Effect.fn("cli.dlq.replay")(function*({ id }) {
    const deadLetters = yield* DeadLetters
    const row = yield* deadLetters.replay(id).pipe(
      Effect.catchTags({
        DeadLetterNotFound: () => Effect.fail(`No dead letter ${id}.`),
        DeadLetterNotPending: (error) => Effect.fail(`Dead letter ${id} is ${error.status}, not pending.`),
        PublishFailed: (error) => Effect.fail(`Not replayed: ${error.reason}.`)
      })
    )
    yield* Console.log(`Replayed ${row.id} to ${row.originalQueue}.`)
  }, Effect.provide(DeadLetters.layer.pipe(Layer.provide(Broker.layerChosen), Layer.provideMerge(ProgramDatabase))))
).pipe(Command.withDescription("Publish a pending dead letter again to its queue, then mark it retried"))

const dlq = Command.make("dlq").pipe(
  Command.withDescription("Dead letters of the queues"),
  Command.withSubcommands([dlqList, dlqReplay])
)

export const cuebx = Command.make("cuebx").pipe(
  Command.withDescription("CueBX operations: database migrations, the plan catalogue, API documents, dead letters"),
  Command.withSubcommands([migrate, syncPlans, openapi, dlq])
)
