/**
 * The email queues' handlers: open the payload's sealed secrets, render the template, send it
 * through Brevo. Brevo refusing an email is permanent (dead-lettered at once); Brevo being down
 * or slow is retried through the retry queue. Also the dead-letter alert, by email to
 * `ADMIN_ALERT_EMAIL` when it is set.
 */
import { DeadLetterAlerts, MessageSecrets, PermanentFailure, type QueueHandler, queueHandler } from "@cuebx/broker"
import { DateTime, Effect, Layer, Option } from "effect"
import { Brevo } from "./Brevo.ts"
import { type EmailQueue, emailQueueList, renderDlqAlert } from "./EmailQueues.ts"
import { EmailSettings } from "./EmailSettings.ts"

const handlerFor = <A, I>(emailQueue: EmailQueue<A, I>) =>
  queueHandler(emailQueue.message, (payload) =>
    Effect.gen(function*() {
      const brevo = yield* Brevo
      const secrets = yield* MessageSecrets
      const settings = yield* EmailSettings
      const now = yield* DateTime.now
      const opened = yield* secrets.openAll(payload).pipe(
        Effect.mapError((error) => new PermanentFailure({ reason: `cannot open a sealed value: ${error.reason}` }))
      )
      const email = emailQueue.render(opened, {
        appName: settings.appName,
        year: DateTime.getPartUtc(now, "year"),
        otpExpiryMinutes: settings.otpExpiryMinutes
      })
      yield* brevo.send(email).pipe(
        Effect.catchTag("EmailRejected", (error) => Effect.fail(new PermanentFailure({ reason: error.message })))
      )
    }))

/** One handler per email queue, for the consumer runtime. */
export const emailHandlers: ReadonlyArray<QueueHandler<Brevo | MessageSecrets>> = emailQueueList.map((emailQueue) =>
  handlerFor(emailQueue as EmailQueue<unknown, unknown>)
)

/** Dead-letter alerts by email; nothing is sent while `ADMIN_ALERT_EMAIL` is unset. */
export const EmailDeadLetterAlerts = Layer.effect(
  DeadLetterAlerts,
  Effect.gen(function*() {
    const brevo = yield* Brevo
    const settings = yield* EmailSettings
    return DeadLetterAlerts.of({
      notify: (alert) =>
        Option.match(settings.adminAlertEmail, {
          onNone: () => Effect.void,
          onSome: (adminEmail) =>
            brevo.send(renderDlqAlert(
              {
                queue: alert.queue,
                attemptCount: alert.attemptCount,
                errorMessage: alert.errorMessage,
                at: alert.at,
                messageBody: alert.messageBody
              },
              { appName: settings.appName, environment: settings.environment, adminEmail }
            ))
        })
    })
  })
)
