/**
 * Everything that consumes RabbitMQ, composed from every domain: the handlers of each queue and
 * the dead-letter consumers with their alerts. The worker program runs it; the API runs it too
 * when `ENABLE_CONSUMERS` is on (a single-process deployment).
 */
import { DeadLetters, MessageSecrets, runConsumers, runDeadLetterConsumers } from "@cuebx/broker"
import { Brevo, EmailDeadLetterAlerts, emailHandlers } from "@cuebx/email"
import { Layer } from "effect"

/** Every queue handler of every domain. Later domains (billing, usage) add theirs here. */
export const queueHandlers = [...emailHandlers]

/** Consumers and dead-letter handling; needs a Broker, the database and the program's HttpClient (Brevo). */
export const QueueWorkers = Layer.mergeAll(runConsumers(queueHandlers), runDeadLetterConsumers).pipe(
  Layer.provide(DeadLetters.layer),
  Layer.provide(EmailDeadLetterAlerts),
  Layer.provide(Layer.mergeAll(Brevo.layer, MessageSecrets.layer))
)
