/**
 * A small framework for fake external HTTP services (Stripe, Brevo, Google, GitHub, Cloudinary):
 * a real HTTP server on a random port that records every request and answers from scripted
 * routes. Tests point the real clients at `url` and assert on `requests`.
 */
import { Effect } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: string
  /** The body parsed as JSON, or as a form for `application/x-www-form-urlencoded`. */
  readonly parsedBody: unknown
}

export interface FakeResponse {
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown
  /** Wait this long before answering (to exercise client timeouts). */
  readonly delayMs?: number
}

export type Responder = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>

/** Routes are keyed `"METHOD /path"`; a path segment `:name` matches any value. */
export type Routes = Readonly<Record<string, Responder | FakeResponse>>

export interface FakeHttpServer {
  readonly url: string
  /** Every request received so far, oldest first. */
  readonly requests: () => ReadonlyArray<RecordedRequest>
  /** Requests received for one route key. */
  readonly requestsTo: (route: string) => ReadonlyArray<RecordedRequest>
  /** Answers the next request to `route` with `response` (a queue, ahead of the route's default). */
  readonly enqueue: (route: string, ...responses: ReadonlyArray<FakeResponse>) => void
  /** Replaces the default answer of a route. */
  readonly setRoute: (route: string, responder: Responder | FakeResponse) => void
  /** Forgets recorded requests and queued answers. */
  readonly reset: () => void
}

const parseBody = (body: string, contentType: string | undefined): unknown => {
  if (body.length === 0) return undefined
  if (contentType?.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(body))
  try {
    return JSON.parse(body)
  } catch {
    return body
  }
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const matches = (routeKey: string, method: string, path: string) => {
  const [routeMethod, routePath = ""] = routeKey.split(" ", 2)
  if (routeMethod !== method) return false
  const expected = routePath.split("/")
  const actual = path.split("/")
  return expected.length === actual.length &&
    expected.every((segment, index) => segment.startsWith(":") || segment === actual[index])
}

const send = async (response: ServerResponse, answer: FakeResponse) => {
  if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs))
  const isText = typeof answer.body === "string"
  const body = answer.body === undefined ? "" : isText ? answer.body as string : JSON.stringify(answer.body)
  response.writeHead(answer.status ?? 200, {
    "content-type": isText ? "text/plain" : "application/json",
    ...answer.headers
  })
  response.end(body)
}

/** Starts a fake on a random port for the lifetime of the enclosing scope. */
export const makeFakeHttpServer = (name: string, routes: Routes) =>
  Effect.gen(function*() {
    const defaults = new Map<string, Responder | FakeResponse>(Object.entries(routes))
    const queued = new Map<string, Array<FakeResponse>>()
    const recorded: Array<{ readonly route: string | undefined; readonly request: RecordedRequest }> = []

    const server = createServer(async (incoming, outgoing) => {
      const url = new URL(incoming.url ?? "/", "http://fake")
      const body = await readBody(incoming)
      const request: RecordedRequest = {
        method: incoming.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        body,
        parsedBody: parseBody(body, incoming.headers["content-type"])
      }
      const route = [...defaults.keys(), ...queued.keys()].find((key) => matches(key, request.method, request.path))
      recorded.push({ route, request })
      if (route === undefined) {
        return send(outgoing, {
          status: 404,
          body: { error: `${name}: no route for ${request.method} ${request.path}` }
        })
      }
      const next = queued.get(route)?.shift()
      if (next !== undefined) return send(outgoing, next)
      const responder = defaults.get(route)
      try {
        return send(outgoing, typeof responder === "function" ? await responder(request) : responder ?? { status: 404 })
      } catch (error) {
        return send(outgoing, { status: 500, body: { error: String(error) } })
      }
    })

    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )

    const fake: FakeHttpServer = {
      url: `http://127.0.0.1:${port}`,
      requests: () => recorded.map((entry) => entry.request),
      requestsTo: (route) => recorded.filter((entry) => entry.route === route).map((entry) => entry.request),
      enqueue: (route, ...responses) => queued.set(route, [...(queued.get(route) ?? []), ...responses]),
      setRoute: (route, responder) => void defaults.set(route, responder),
      reset: () => {
        recorded.length = 0
        queued.clear()
      }
    }
    return fake
  })
