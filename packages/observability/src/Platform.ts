/**
 * The platform services each program provides once, at its edge, so library layers only require
 * them: the Node services (file system, path, ...) and the HTTP client of every outbound
 * integration (Stripe, Brevo, Google, GitHub, Cloudinary): fetch underneath, each request a client
 * span carrying W3C trace context, and a backstop timeout so no call can hang a request or a
 * consumer forever. Integrations add their base URL, headers and tighter timeouts on top.
 */
import { NodeServices } from "@effect/platform-node"
import { Config, Duration, Effect, Layer } from "effect"
import { FetchHttpClient, HttpClient, HttpClientError } from "effect/http"

export const OutboundHttpSettings = Config.all({
  timeout: Config.Duration("OUTBOUND_HTTP_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30)))
})

export const OutboundHttp = Layer.effect(
  HttpClient.HttpClient,
  Effect.gen(function*() {
    const settings = yield* OutboundHttpSettings
    const client = yield* HttpClient.HttpClient
    return HttpClient.transform(client, (response, request) =>
      Effect.timeoutOrElse(response, {
        duration: settings.timeout,
        orElse: () =>
          Effect.fail(
            new HttpClientError.HttpClientError({
              reason: new HttpClientError.TransportError({
                request,
                description: `no answer within ${Duration.format(settings.timeout)}`
              })
            })
          )
      }))
  })
).pipe(Layer.provide(FetchHttpClient.layer))

/** Everything a program provides to the library layers it runs. */
export const ProgramPlatform = Layer.mergeAll(NodeServices.layer, OutboundHttp)
