/**
 * The error shapes every endpoint shares, exercised through a probe API served with the real
 * edge middleware, 422 transform and request context of the API server.
 */
import {
  RequestValidation,
  TooManyRequests,
  TooManyRequestsResponse,
  Unauthorized,
  UnauthorizedResponse
} from "@cuebx/contract"
import { captureLogs, rawRequest, serveInProcess } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiClient, HttpApiEndpoint, HttpApiGroup, HttpApiSchema } from "effect/http-api"
import { serveApi } from "../src/ApiServer.ts"
import { httpEdge } from "../src/http/HttpEdge.ts"
import { RequestValidationLive } from "../src/http/RequestValidationLive.ts"
import { makeRouteTable } from "../src/http/RouteTable.ts"

class ProbeGroup extends HttpApiGroup.make("probe").add(
  HttpApiEndpoint.post("create", "/things", {
    payload: Schema.Struct({
      name: Schema.String.check(Schema.isMinLength(1)),
      count: Schema.Int,
      tags: Schema.optionalKey(Schema.Array(Schema.String))
    }),
    success: Schema.Struct({ name: Schema.String, count: Schema.Int }).pipe(HttpApiSchema.status(201))
  }),
  HttpApiEndpoint.get("list", "/things", {
    query: { limit: Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 100 })) },
    success: Schema.Struct({ limit: Schema.Number })
  }),
  HttpApiEndpoint.get("get", "/things/:id", {
    params: { id: Schema.String.check(Schema.isUUID()) },
    success: Schema.Struct({ id: Schema.String })
  }),
  HttpApiEndpoint.get("boom", "/boom", { success: Schema.Struct({}) }),
  HttpApiEndpoint.get("secret", "/secret", { success: Schema.Struct({}), error: UnauthorizedResponse }),
  HttpApiEndpoint.get("limited", "/limited", { success: Schema.Struct({}), error: TooManyRequestsResponse })
) {}

class ProbeApi extends HttpApi.make("probe").add(ProbeGroup).middleware(RequestValidation)
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", reportInput: true })
  .annotate(HttpApi.QueryParseOptions, { errors: "all", reportInput: true })
  .annotate(HttpApi.ParamsParseOptions, { errors: "all", reportInput: true })
{}

const ProbeHandlers = HttpApiBuilder.group(ProbeApi, "probe", (handlers) =>
  handlers
    .handle("create", ({ payload }) => Effect.succeed({ name: payload.name, count: payload.count }))
    .handle("list", ({ query }) => Effect.succeed({ limit: query.limit }))
    .handle("get", ({ params }) => Effect.succeed({ id: params.id }))
    .handle("boom", () => Effect.die(new Error("connection to 10.0.0.7 refused: SELECT secret FROM users")))
    .handle("secret", () => Effect.fail(new Unauthorized({ detail: "Not authenticated" })))
    .handle("limited", () => Effect.fail(TooManyRequests.rateLimited(42))))

const maxRequestBodyBytes = 2048

const logs = captureLogs()

const ProbeServer = serveInProcess(serveApi(Layer.mergeAll(
  HttpApiBuilder.layer(ProbeApi).pipe(Layer.provide(ProbeHandlers), Layer.provide(RequestValidationLive)),
  httpEdge({
    cors: { allowOrigins: ["http://localhost:3000"], allowCredentials: true },
    maxRequestBodyBytes,
    routes: makeRouteTable(ProbeApi, [])
  })
))).pipe(
  Layer.provide(logs.layer),
  Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
)

layer(ProbeServer, { excludeTestServices: true })("the HTTP edge", (it) => {
  describe("422 request validation", () => {
    it.effect("reports malformed JSON", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("POST", "/things", {
          body: "{\"name\": \"a\",",
          headers: { "content-type": "application/json" }
        })
        assert.strictEqual(response.status, 422)
        assert.deepStrictEqual(response.json, {
          detail: [{ type: "json_invalid", loc: ["body"], msg: "JSON decode error" }]
        })
      }))

    it.effect("reports a wrong field type and a missing field, each with its location", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("POST", "/things", { body: { name: "widget", count: "three" } })
        assert.strictEqual(response.status, 422)
        const { detail } = response.json as {
          detail: ReadonlyArray<{ type: string; loc: unknown; msg: string; input?: unknown }>
        }
        assert.deepStrictEqual(detail.map((issue) => [issue.type, issue.loc]), [["type_error", ["body", "count"]]])
        assert.strictEqual(detail[0]!.input, "three")

        const missing = yield* rawRequest("POST", "/things", { body: { tags: [1] } })
        const issues = (missing.json as { detail: ReadonlyArray<{ type: string; loc: unknown; msg: string }> }).detail
        assert.deepStrictEqual(issues.map((issue) => [issue.type, issue.loc, issue.msg]), [
          ["missing", ["body", "name"], "Field required"],
          ["missing", ["body", "count"], "Field required"],
          ["type_error", ["body", "tags", 0], "Expected string, got 1"]
        ])
      }))

    it.effect("reports bad path and query parameters", () =>
      Effect.gen(function*() {
        const path = yield* rawRequest("GET", "/things/not-a-uuid")
        assert.strictEqual(path.status, 422)
        assert.deepStrictEqual((path.json as { detail: ReadonlyArray<{ loc: unknown }> }).detail[0]!.loc, [
          "path",
          "id"
        ])
        const query = yield* rawRequest("GET", "/things?limit=500")
        assert.strictEqual(query.status, 422)
        assert.deepStrictEqual((query.json as { detail: ReadonlyArray<{ loc: unknown }> }).detail[0]!.loc, [
          "query",
          "limit"
        ])
        const good = yield* rawRequest("GET", "/things?limit=5")
        assert.deepStrictEqual(good.json, { limit: 5 })
      }))
  })

  describe("413 body limit", () => {
    it.effect("refuses a body over the limit by its declared length", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("POST", "/things", {
          body: { name: "x".repeat(maxRequestBodyBytes), count: 1 }
        })
        assert.strictEqual(response.status, 413)
        assert.deepStrictEqual(response.json, {
          detail: `Request body is too large (limit ${maxRequestBodyBytes} bytes).`
        })
      }))

    it.effect("refuses a chunked body that grows over the limit while it is read", () =>
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const chunk = new TextEncoder().encode(`{"name": "${"x".repeat(maxRequestBodyBytes)}", "count": 1}`)
        const request = HttpClientRequest.post("/things").pipe(
          HttpClientRequest.bodyStream(Stream.make(chunk), { contentType: "application/json" })
        )
        assert.isUndefined(request.headers["content-length"])
        const response = yield* client.execute(request)
        assert.strictEqual(response.status, 413)
        assert.deepStrictEqual(yield* response.json, {
          detail: `Request body is too large (limit ${maxRequestBodyBytes} bytes).`
        })
      }))

    it.effect("accepts a body under the limit", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("POST", "/things", { body: { name: "widget", count: 3 } })
        assert.strictEqual(response.status, 201)
        assert.deepStrictEqual(response.json, { name: "widget", count: 3 })
      }))
  })

  describe("defects", () => {
    it.effect("answer 500 with the request id and no internals, and log the cause", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/boom", { headers: { "x-request-id": "defect-1" } })
        assert.strictEqual(response.status, 500)
        assert.deepStrictEqual(response.json, { detail: "Internal server error", request_id: "defect-1" })
        assert.notInclude(response.text, "SELECT")
        const logged = logs.lines.find((line) =>
          line.level === "ERROR" && line.annotations["request_id"] === "defect-1"
        )
        assert.isDefined(logged)
        assert.include(JSON.stringify(logged!.message), "SELECT secret FROM users")
      }))
  })

  describe("errors with headers", () => {
    it.effect("401 carries WWW-Authenticate: Bearer", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/secret")
        assert.strictEqual(response.status, 401)
        assert.strictEqual(response.headers["www-authenticate"], "Bearer")
        assert.deepStrictEqual(response.json, { detail: "Not authenticated" })
      }))

    it.effect("429 carries Retry-After in seconds", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/limited")
        assert.strictEqual(response.status, 429)
        assert.strictEqual(response.headers["retry-after"], "42")
        assert.deepStrictEqual(response.json, { detail: "Rate limit exceeded. Try again in 42 seconds." })
      }))

    it.effect("the typed client decodes them back into their classes", () =>
      Effect.gen(function*() {
        const client = yield* HttpApiClient.make(ProbeApi)
        const unauthorized = yield* client.probe.secret().pipe(Effect.flip)
        assert.strictEqual(unauthorized._tag, "Unauthorized")
        const limited = yield* client.probe.limited().pipe(Effect.flip)
        assert.deepStrictEqual(limited._tag === "TooManyRequests" && limited.retryAfterSeconds, 42)
      }))
  })

  describe("logging", () => {
    it.effect("every log line of a request carries its request id", () =>
      Effect.gen(function*() {
        yield* rawRequest("GET", "/things?limit=1", { headers: { "x-request-id": "logged-1" } })
        const lines = logs.lines.filter((line) => line.annotations["request_id"] === "logged-1")
        assert.isAtLeast(lines.length, 1)
        assert.isTrue(lines.some((line) => line.annotations["http.url"] === "/things"))
      }))
  })
})
