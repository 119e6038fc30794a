/**
 * What every response passes through on its way out: CORS, the `X-Request-ID` header, security
 * headers (`nosniff` everywhere, `no-store` on `/auth` and `/admin`, HSTS in production), the
 * body limits (413: size, and nesting or one string too large in a JSON body), unknown routes
 * (404) and wrong methods (405), a non-JSON content type where JSON is expected (422), and
 * defects, which become a 500 carrying only the request id while the cause goes to the log.
 * Every error body is `{"detail": ...}`.
 */
import type { CorsSettings } from "@cuebx/config"
import { RequestId } from "@cuebx/observability"
import { ByteSize, Cause, Effect } from "effect"
import {
  HttpIncomingMessage,
  HttpMethod,
  HttpMiddleware,
  HttpRouter,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import { defaultJsonBodyLimits, type JsonBodyLimits, jsonBodyRefusal } from "./JsonBodyLimits.ts"
import { jsonBodyExpected } from "./RequestValidationLive.ts"
import type { RouteTable } from "./RouteTable.ts"

export interface HttpEdgeOptions {
  readonly cors: CorsSettings
  readonly maxRequestBodyBytes: number
  readonly jsonBodyLimits?: JsonBodyLimits
  readonly routes: RouteTable
  /** Adds `Strict-Transport-Security` (production serves HTTPS only). */
  readonly production: boolean
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

/** Paths whose answers carry tokens or credentials (RFC 6749 §5.1): no cache may keep them. */
const isSensitivePath = (url: string) => /^\/(auth|admin)(\/|\?|#|$)/.test(url)

const securityHeaders = (production: boolean) => {
  const always = {
    "x-content-type-options": "nosniff",
    ...(production ? { "strict-transport-security": "max-age=63072000; includeSubDomains" } : {})
  }
  const sensitive = { ...always, "cache-control": "no-store", pragma: "no-cache" }
  return (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) =>
    HttpServerResponse.setHeaders(response, isSensitivePath(request.url) ? sensitive : always)
}

/** The content types HttpApi decodes as JSON: `application/json`, which it also assumes when none is sent. */
const isJsonBody = (request: HttpServerRequest.HttpServerRequest) =>
  HttpMethod.hasBody(request.method) &&
  (request.headers["content-type"] ?? "application/json").split(";")[0]!.trim().toLowerCase() === "application/json"

/** HttpApi's bare 415 for a body in a content type the operation does not take (CueBX answers no other 415). */
const isUnsupportedMediaType = (response: HttpServerResponse.HttpServerResponse) => response.status === 415

const finish = (response: HttpServerResponse.HttpServerResponse, requestId: string) => {
  const withId = HttpServerResponse.setHeader(response, "x-request-id", requestId)
  return response.status === 401 && response.headers["www-authenticate"] === undefined
    ? HttpServerResponse.setHeader(withId, "www-authenticate", "Bearer")
    : withId
}

export const httpEdge = (options: HttpEdgeOptions) => {
  const cors = corsMiddleware(options.cors)
  const withSecurityHeaders = securityHeaders(options.production)
  const jsonLimits = options.jsonBodyLimits ?? defaultJsonBodyLimits
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

  /** The app, unless the JSON body is too deep or has a string too long (read once: the decoder reuses it). */
  const guarded = <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
    request: HttpServerRequest.HttpServerRequest
  ) =>
    Effect.gen(function*() {
      if (isJsonBody(request)) {
        const refusal = jsonBodyRefusal(yield* request.text, jsonLimits)
        if (refusal !== undefined) return detail(413, refusal)
      }
      const response = yield* app
      return isUnsupportedMediaType(response) ? jsonBodyExpected() : response
    })

  return HttpRouter.middleware((app) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const answer = yield* cors(Effect.gen(function*() {
        const requestId = (yield* RequestId) ?? crypto.randomUUID()
        const declaredLength = Number(request.headers["content-length"] ?? "0")
        if (declaredLength > options.maxRequestBodyBytes) return finish(tooLarge(), requestId)
        const response = yield* guarded(app, request).pipe(
          Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(options.maxRequestBodyBytes)),
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : answerFailure(cause, request, requestId)
          )
        )
        return finish(response, requestId)
      }))
      // Outside CORS, so its preflight answers get them too.
      return withSecurityHeaders(request, answer)
    }), { global: true })
}
