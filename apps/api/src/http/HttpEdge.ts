/**
 * What every response passes through on its way out: CORS, the `X-Request-ID` header, the body
 * size limit (413), unknown routes (404) and wrong methods (405), and defects, which become a
 * 500 carrying only the request id while the cause goes to the log. Every error body is
 * `{"detail": ...}`.
 */
import type { CorsSettings } from "@cuebx/config"
import { RequestId } from "@cuebx/observability"
import { ByteSize, Cause, Effect } from "effect"
import {
  HttpIncomingMessage,
  HttpMiddleware,
  HttpRouter,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import type { RouteTable } from "./RouteTable.ts"

export interface HttpEdgeOptions {
  readonly cors: CorsSettings
  readonly maxRequestBodyBytes: number
  readonly routes: RouteTable
}

const detail = (status: number, message: string, headers?: Record<string, string>) =>
  HttpServerResponse.jsonUnsafe({ detail: message }, { status, ...(headers ? { headers } : {}) })

const isBodyTooLarge = (defect: unknown) =>
  HttpServerError.isHttpServerError(defect) && defect.reason._tag === "RequestParseError" &&
  defect.reason.reason === "BodyTooLarge"

const corsMiddleware = (cors: CorsSettings) => {
  const wildcard = cors.allowOrigins.includes("*")
  return HttpMiddleware.cors({
    // `*` with credentials would be refused by browsers: reflect the origin instead (the
    // production guard refuses that combination, so this only happens in development).
    allowedOrigins: wildcard ? (cors.allowCredentials ? () => true : []) : cors.allowOrigins,
    credentials: cors.allowCredentials,
    exposedHeaders: ["X-Request-ID", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
  })
}

const finish = (response: HttpServerResponse.HttpServerResponse, requestId: string) => {
  const withId = HttpServerResponse.setHeader(response, "x-request-id", requestId)
  return response.status === 401 && response.headers["www-authenticate"] === undefined
    ? HttpServerResponse.setHeader(withId, "www-authenticate", "Bearer")
    : withId
}

export const httpEdge = (options: HttpEdgeOptions) => {
  const cors = corsMiddleware(options.cors)
  const tooLarge = () => detail(413, `Request body is too large (limit ${options.maxRequestBodyBytes} bytes).`)

  const answerFailure = (
    cause: Cause.Cause<unknown>,
    request: HttpServerRequest.HttpServerRequest,
    requestId: string
  ) => {
    const failure = Cause.findErrorOption(cause)
    if (failure._tag === "Some" && HttpServerError.isHttpServerError(failure.value)) {
      if (failure.value.reason._tag === "RouteNotFound") {
        const allowed = options.routes.methodsFor(request.url)
        return Effect.succeed(
          allowed.length > 0
            ? detail(405, "Method Not Allowed", { allow: allowed.join(", ") })
            : detail(404, "Not Found")
        )
      }
      if (isBodyTooLarge(failure.value)) return Effect.succeed(tooLarge())
    }
    const defect = Cause.findDefect(cause)
    if (defect._tag === "Success" && isBodyTooLarge(defect.success)) return Effect.succeed(tooLarge())
    return Effect.logError("Unhandled defect", Cause.pretty(cause)).pipe(
      Effect.as(
        HttpServerResponse.jsonUnsafe({ detail: "Internal server error", request_id: requestId }, { status: 500 })
      )
    )
  }

  return HttpRouter.middleware((app) =>
    cors(Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const requestId = (yield* RequestId) ?? crypto.randomUUID()
      const declaredLength = Number(request.headers["content-length"] ?? "0")
      if (declaredLength > options.maxRequestBodyBytes) return finish(tooLarge(), requestId)
      const response = yield* app.pipe(
        Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(options.maxRequestBodyBytes)),
        Effect.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : answerFailure(cause, request, requestId)
        )
      )
      return finish(response, requestId)
    })), { global: true })
}
