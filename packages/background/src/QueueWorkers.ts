/**
 * Everything that consumes RabbitMQ, composed from every domain: the handlers of each queue and
 * the dead-letter consumers with their alerts. The worker program runs it; the API runs it too
 * when `ENABLE_CONSUMERS` is on (a single-process deployment).
 */
import { stripeCustomerHandler, type StripeCustomers, stripeEventHandlers } from "@cuebx/billing"
import {
  DeadLetters,
  MessageSecrets,
  Outbox,
  type QueueHandler,
  runConsumers,
  runDeadLetterConsumers
} from "@cuebx/broker"
import { Brevo, EmailDeadLetterAlerts, emailHandlers } from "@cuebx/email"
import { type UsageCommits, UsageCommitsLive, usageHandlers } from "@cuebx/usage"
import { BillingSyncWithWorkspaces } from "@cuebx/workspaces"
import { Layer } from "effect"

type BillingHandlerServices = typeof stripeEventHandlers extends ReadonlyArray<QueueHandler<infer R>> ? R : never

/** Every queue handler of every domain. */
export const queueHandlers: ReadonlyArray<
  QueueHandler<Brevo | MessageSecrets | UsageCommits | BillingHandlerServices | StripeCustomers>
> = [
  ...emailHandlers,
  ...usageHandlers,
  ...stripeEventHandlers,
  stripeCustomerHandler
]

/** Consumers and dead-letter handling; needs a Broker, the database and the program's HttpClient (Brevo, Stripe). */
export const QueueWorkers = Layer.mergeAll(runConsumers(queueHandlers), runDeadLetterConsumers).pipe(
  Layer.provide(DeadLetters.layer),
  Layer.provide(EmailDeadLetterAlerts),
  Layer.provide(Layer.mergeAll(Brevo.layer, MessageSecrets.layer, UsageCommitsLive, BillingSyncWithWorkspaces)),
  Layer.provide(Outbox.layer)
)
