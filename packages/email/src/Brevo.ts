/**
 * Delivery of one rendered email through Brevo's transactional API (`POST /smtp/email`), with
 * the outcome classified for the caller: `EmailRejected` (permanent, dead-letter at once) or
 * `EmailDeliveryFailed` (transient, retry), or, on a development machine without a Brevo key, to
 * the mail folder. Rendering and retrying are not its business. It requires the program's
 * `HttpClient` (tracing and the backstop timeout are set there) and file system.
 */
import { describeRequestFailure } from "@cuebx/observability"
import { Context, Data, Duration, Effect, type FileSystem, Layer, type Path, Redacted, Schema } from "effect"
import { Headers, HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { BrevoSettings, EmailDelivery } from "./EmailSettings.ts"
import { makeMailFolder } from "./MailFolder.ts"

export interface EmailRecipient {
  readonly email: string
  readonly name?: string
}

export interface OutgoingEmail {
  readonly to: EmailRecipient
  /** Where replies go, when not to the sender. */
  readonly replyTo?: EmailRecipient
  readonly subject: string
  readonly html: string
  readonly text: string
  /** The template's name, sent to Brevo as the email's tag (for its statistics). */
  readonly template: string
}

/** Brevo refused the email for good (4xx other than 429): retrying cannot help. */
export class EmailRejected extends Data.TaggedError("EmailRejected")<{
  readonly status: number
  /** Brevo's error body, truncated. */
  readonly detail: string
}> {
  override get message() {
    return `Brevo rejected the email (HTTP ${this.status}): ${this.detail}`
  }
}

/** The email may go through later: 5xx, 429, a timeout or a network error. */
export class EmailDeliveryFailed extends Data.TaggedError("EmailDeliveryFailed")<{
  readonly reason: string
  readonly status?: number
}> {
  override get message() {
    return this.status === undefined
      ? `Brevo delivery failed: ${this.reason}`
      : `Brevo delivery failed (HTTP ${this.status}): ${this.reason}`
  }
}

const maxDetailLength = 500

const truncate = (text: string) => text.length <= maxDetailLength ? text : `${text.slice(0, maxDetailLength)}…`

const SendAnswer = Schema.Struct({ messageId: Schema.String })

const contact = (recipient: EmailRecipient) =>
  recipient.name === undefined || recipient.name.trim() === ""
    ? { email: recipient.email }
    : { email: recipient.email, name: recipient.name }

const requestBody = (settings: Pick<BrevoSettings, "senderEmail" | "senderName">, email: OutgoingEmail) => ({
  sender: { name: settings.senderName, email: settings.senderEmail },
  to: [contact(email.to)],
  ...(email.replyTo === undefined ? {} : { replyTo: contact(email.replyTo) }),
  subject: email.subject,
  htmlContent: email.html,
  textContent: email.text,
  tags: [email.template]
})

export class Brevo extends Context.Service<Brevo, {
  send(email: OutgoingEmail): Effect.Effect<{ readonly messageId: string }, EmailRejected | EmailDeliveryFailed>
}>()("@cuebx/email/Brevo") {
  static readonly layerFromSettings = (settings: BrevoSettings) =>
    Layer.effect(
      Brevo,
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const url = `${settings.baseUrl.replace(/\/+$/, "")}/smtp/email`

        const classify = Effect.fnUntraced(function*(response: HttpClientResponse.HttpClientResponse) {
          const body = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
          if (response.status >= 200 && response.status < 300) {
            const answer = Schema.decodeUnknownOption(Schema.fromJsonString(SendAnswer))(body)
            // Brevo accepted the email; failing now would only make the caller send it twice.
            if (answer._tag === "None") {
              yield* Effect.logWarning("Brevo accepted an email without a messageId", { status: response.status })
              return { messageId: "" }
            }
            return { messageId: answer.value.messageId }
          }
          if (response.status >= 400 && response.status < 500 && response.status !== 429) {
            return yield* new EmailRejected({ status: response.status, detail: truncate(body) })
          }
          return yield* new EmailDeliveryFailed({ status: response.status, reason: truncate(body) })
        })

        const send = Effect.fn("Brevo.send")(function*(email: OutgoingEmail) {
          yield* Effect.annotateCurrentSpan({ "email.template": email.template })
          const request = HttpClientRequest.post(url).pipe(
            HttpClientRequest.bodyJsonUnsafe(requestBody(settings, email)),
            HttpClientRequest.setHeaders({
              "api-key": Redacted.value(settings.apiKey),
              "content-type": "application/json",
              accept: "application/json"
            })
          )
          const redactedNames = yield* Headers.CurrentRedactedNames
          const result = yield* client.execute(request).pipe(
            Effect.flatMap(classify),
            Effect.catchTag(
              "HttpClientError",
              (error) => Effect.fail(new EmailDeliveryFailed({ reason: describeRequestFailure(error) }))
            ),
            Effect.timeoutOrElse({
              duration: settings.timeout,
              orElse: () =>
                Effect.fail(
                  new EmailDeliveryFailed({ reason: `no answer within ${Duration.format(settings.timeout)}` })
                )
            }),
            // Brevo's key travels in `api-key`, which Effect does not redact by default.
            Effect.provideService(Headers.CurrentRedactedNames, [...redactedNames, "api-key"])
          )
          yield* Effect.annotateCurrentSpan({ "email.message_id": result.messageId })
          return result
        })

        return Brevo.of({ send })
      })
    )

  /** Writes every email to `directory` instead of sending it (development without a Brevo key). */
  static readonly layerMailFolder = (directory: string) =>
    Layer.effect(
      Brevo,
      Effect.map(makeMailFolder(directory), (write) =>
        Brevo.of({
          send: (email) => Effect.map(write(email), (messageId) => ({ messageId }))
        }))
    )

  /** Brevo, or the mail folder while `BREVO_API_KEY` is unset outside production (`EmailDelivery`). */
  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    const delivery = yield* EmailDelivery
    const chosen: Layer.Layer<Brevo, never, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> =
      delivery._tag === "MailFolder"
        ? Brevo.layerMailFolder(delivery.directory)
        : Brevo.layerFromSettings(yield* BrevoSettings)
    return chosen
  }))
}
