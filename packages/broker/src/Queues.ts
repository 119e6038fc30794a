/**
 * The RabbitMQ topology of CueBX: fourteen logical queues, the Python service's twelve plus
 * CueBX's own `sales_inquiry_emails` and `stripe_customers`, each a triplet of main queue, retry
 * queue (messages wait there for the retry delay, then go back to the main queue) and dead-letter
 * queue. Everything goes through the default exchange with the queue name as routing key. Message
 * types (a queue and its payload schema) live with the domains that publish and handle them.
 */
import { Config, Duration, Option } from "effect"

export interface QueueSpec {
  readonly name: string
  /** How long a failed message waits in the retry queue before it is handled again. */
  readonly retryDelay: Duration.Duration
  /** Retries after the first attempt; the message is dead-lettered after the last one. */
  readonly maxRetries: number
}

const queue = (name: string, retryDelay: Duration.Input, maxRetries: number): QueueSpec => ({
  name,
  retryDelay: Duration.fromInputUnsafe(retryDelay),
  maxRetries
})

export const Queues = {
  otpEmails: queue("otp_emails", "30 seconds", 3),
  passwordResetConfirmationEmails: queue("password_reset_confirmation_emails", "30 seconds", 3),
  subscriptionActivatedEmails: queue("subscription_activated_emails", "30 seconds", 3),
  subscriptionCanceledEmails: queue("subscription_canceled_emails", "30 seconds", 3),
  paymentFailedEmails: queue("payment_failed_emails", "30 seconds", 3),
  workspaceInvitationEmails: queue("workspace_invitation_emails", "30 seconds", 3),
  salesInquiryEmails: queue("sales_inquiry_emails", "30 seconds", 3),
  stripeCheckoutCompleted: queue("stripe_checkout_completed", "60 seconds", 5),
  stripeSubscriptionUpdated: queue("stripe_subscription_updated", "60 seconds", 5),
  stripeSubscriptionDeleted: queue("stripe_subscription_deleted", "60 seconds", 5),
  stripePaymentFailed: queue("stripe_payment_failed", "60 seconds", 3),
  stripeCustomers: queue("stripe_customers", "60 seconds", 5),
  usageCommits: queue("usage_commits", "30 seconds", 3),
  careerUsageCommits: queue("career_usage_commits", "30 seconds", 3)
} as const

export const allQueues: ReadonlyArray<QueueSpec> = Object.values(Queues)

export const retryQueueName = (name: string) => `${name}_retry`
export const deadLetterQueueName = (name: string) => `${name}_dead`

/** The main queue a dead-letter queue belongs to (`otp_emails_dead` → `otp_emails`). */
export const mainQueueOfDeadLetters = (deadLetterQueue: string) => deadLetterQueue.replace(/_dead$/, "")

/** Every physical queue name of the topology: main, retry and dead-letter queue of each. */
export const allQueueNames = (): ReadonlyArray<string> =>
  allQueues.flatMap((spec) => [spec.name, retryQueueName(spec.name), deadLetterQueueName(spec.name)])

/**
 * Operators (and tests) may override every queue's retry delay and retry count at once:
 * `QUEUE_RETRY_DELAY` (e.g. "10 seconds") and `QUEUE_MAX_RETRIES`.
 */
export const TopologyOverrides = Config.all({
  retryDelay: Config.option(Config.Duration("QUEUE_RETRY_DELAY")),
  maxRetries: Config.option(Config.Int("QUEUE_MAX_RETRIES"))
})

export const withOverrides = (spec: QueueSpec, overrides: Config.Success<typeof TopologyOverrides>): QueueSpec => ({
  name: spec.name,
  retryDelay: Option.getOrElse(overrides.retryDelay, () => spec.retryDelay),
  maxRetries: Option.getOrElse(overrides.maxRetries, () => spec.maxRetries)
})
