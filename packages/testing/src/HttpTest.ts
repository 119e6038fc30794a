/**
 * Serving an HTTP application in-process for tests, and raw requests against it that expose the
 * exact status, headers and body (the typed client decodes errors back into classes; these do
 * not, so tests can assert the wire format).
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"

/** Runs `served` (a `HttpRouter.serve(...)` layer) on a random port with an HttpClient aimed at it. */
export const serveInProcess = <E, R>(served: Layer.Layer<never, E, R>) =>
  served.pipe(Layer.provideMerge(NodeHttpServer.layerTest))

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  /** The body parsed as JSON (`undefined` when it is empty or not JSON). */
  readonly json: unknown
}

export interface RawRequestOptions {
  /** A string is sent verbatim (for malformed JSON); anything else as JSON. */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const rawRequest = Effect.fn("rawRequest")(
  function*(method: string, path: string, options: RawRequestOptions = {}) {
    const client = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method as "GET")(path).pipe(
      HttpClientRequest.setHeaders(options.headers ?? {})
    )
    if (options.body !== undefined) {
      request = typeof options.body === "string"
        ? HttpClientRequest.bodyText(request, options.body, options.headers?.["content-type"] ?? "application/json")
        : HttpClientRequest.bodyJsonUnsafe(request, options.body)
    }
    // Redirects are answers to assert on (OAuth's 307), not to follow.
    const response = yield* client.execute(request).pipe(
      Effect.provideService(FetchHttpClient.RequestInit, { redirect: "manual", keepalive: false })
    )
    const text = yield* response.text
    return { status: response.status, headers: response.headers, text, json: parseJson(text) } satisfies RawResponse
  },
  Effect.orDie
)
