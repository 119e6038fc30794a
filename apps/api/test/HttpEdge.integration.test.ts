/**
 * The error shapes and headers every endpoint shares, exercised through a probe API served with
 * the real edge middleware, 422 transform and request context of the API server; then the same
 * guarantees on the real API's token endpoints.
 */
import {
  RequestValidation,
  TooManyRequests,
  TooManyRequestsResponse,
  Unauthorized,
  UnauthorizedResponse
} from "@cuebx/contract"
import { captureLogs, rawRequest, type RawResponse, serveInProcess } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiClient, HttpApiEndpoint, HttpApiGroup, HttpApiSchema } from "effect/http-api"
import { serveApi } from "../src/ApiServer.ts"
import { httpEdge } from "../src/http/HttpEdge.ts"
import { RequestValidationLive } from "../src/http/RequestValidationLive.ts"
import { makeRouteTable } from "../src/http/RouteTable.ts"
import { authTestLayer, call, latestCode, password, uniqueEmail } from "./auth/support.ts"

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
  HttpApiEndpoint.get("limited", "/limited", { success: Schema.Struct({}), error: TooManyRequestsResponse }),
  HttpApiEndpoint.post("token", "/auth/token", {
    payload: Schema.Struct({ code: Schema.String }),
    success: Schema.Struct({ access_token: Schema.String })
  }),
  HttpApiEndpoint.get("adminStats", "/admin/stats", { success: Schema.Struct({ total: Schema.Int }) })
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
    .handle("limited", () => Effect.fail(TooManyRequests.rateLimited(42)))
    .handle("token", ({ payload }) => Effect.succeed({ access_token: `token-for-${payload.code}` }))
    .handle("adminStats", () => Effect.succeed({ total: 3 })))

const maxRequestBodyBytes = 2048
const jsonBodyLimits = { maxDepth: 8, maxStringLength: 256 }

const logs = captureLogs()

const probeServer = (production: boolean) =>
  serveInProcess(serveApi(Layer.mergeAll(
    HttpApiBuilder.layer(ProbeApi).pipe(Layer.provide(ProbeHandlers), Layer.provide(RequestValidationLive)),
    httpEdge({
      cors: { allowOrigins: ["http://localhost:3000"], allowCredentials: true },
      maxRequestBodyBytes,
      jsonBodyLimits,
      routes: makeRouteTable(ProbeApi, []),
      production
    })
  ))).pipe(
    Layer.provide(logs.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
  )

const ProbeServer = probeServer(false)

/** FastAPI's answer to a request without a body. */
const missingBody = { detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }] }

const jsonExpected = {
  detail: [{ type: "json_invalid", loc: ["body"], msg: "Expected a JSON body (Content-Type: application/json)" }]
}

/** A POST whose body is streamed: chunked, without any Content-Length. */
const streamedPost = (path: string, chunks: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const encoder = new TextEncoder()
    const request = HttpClientRequest.post(path).pipe(
      HttpClientRequest.bodyStream(Stream.fromIterable(chunks.map((chunk) => encoder.encode(chunk))), {
        contentType: "application/json"
      })
    )
    assert.isUndefined(request.headers["content-length"])
    const response = yield* client.execute(request)
    return { status: response.status, headers: response.headers, json: yield* response.json }
  })

const nested = (depth: number) => `{"name": "a", "count": 1, "tags": ${"[".repeat(depth)}${"]".repeat(depth)}}`

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

    it.effect("reports an input that decoded to no JSON value (NaN) as text, not as a 500", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/things?limit=abc")
        assert.strictEqual(response.status, 422, response.text)
        const { detail } = response.json as { detail: ReadonlyArray<{ type: string; loc: unknown; input: unknown }> }
        assert.isAbove(detail.length, 0)
        for (const issue of detail) {
          assert.deepStrictEqual([issue.type, issue.loc, issue.input], ["value_error", ["query", "limit"], "NaN"])
        }
      }))
  })

  describe("422 for a missing or non-JSON body", () => {
    it.effect("answers FastAPI's missing-body issue for no body, an empty one, whitespace and null", () =>
      Effect.gen(function*() {
        const cases = [
          yield* rawRequest("POST", "/things"),
          yield* rawRequest("POST", "/things", { headers: { "content-type": "application/json" } }),
          yield* rawRequest("POST", "/things", { body: "" }),
          yield* rawRequest("POST", "/things", { body: " \r\n\t " }),
          yield* rawRequest("POST", "/things", { body: "null" }),
          yield* streamedPost("/things", [])
        ]
        for (const response of cases) {
          assert.strictEqual(response.status, 422)
          assert.deepStrictEqual(response.json, missingBody)
        }
      }))

    it.effect("answers a body in another content type as JSON that could not be read", () =>
      Effect.gen(function*() {
        for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
          const response = yield* rawRequest("POST", "/things", {
            body: "name=widget&count=3",
            headers: { "content-type": contentType }
          })
          assert.strictEqual(response.status, 422, contentType)
          assert.deepStrictEqual(response.json, jsonExpected)
        }
      }))

    it.effect("reports a body that is JSON but not an object with its input", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("POST", "/things", { body: "[1, 2]" })
        assert.strictEqual(response.status, 422)
        assert.deepStrictEqual(response.json, {
          detail: [{ type: "value_error", loc: ["body"], msg: "Expected object, got [1,2]", input: [1, 2] }]
        })
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

    it.effect("refuses JSON nested deeper than the limit before parsing it, by its declared length or not", () =>
      Effect.gen(function*() {
        const tooDeep = { detail: "Request body is nested too deeply (limit 8 levels)." }
        const response = yield* rawRequest("POST", "/things", { body: nested(jsonBodyLimits.maxDepth) })
        assert.strictEqual(response.status, 413)
        assert.deepStrictEqual(response.json, tooDeep)
        const streamed = yield* streamedPost("/things", [nested(jsonBodyLimits.maxDepth)])
        assert.strictEqual(streamed.status, 413)
        assert.deepStrictEqual(streamed.json, tooDeep)
        // Brackets inside strings are not nesting.
        const quoted = yield* rawRequest("POST", "/things", {
          body: { name: "[".repeat(100), count: 1, tags: ["{{{{{{{{{{"] }
        })
        assert.strictEqual(quoted.status, 201)
        const deepEnough = yield* rawRequest("POST", "/things", { body: nested(jsonBodyLimits.maxDepth - 1) })
        assert.strictEqual(deepEnough.status, 422)
      }))

    it.effect("refuses a JSON body with one string over the limit, escapes included", () =>
      Effect.gen(function*() {
        const tooLong = { detail: "Request body has a string longer than 256 characters." }
        const value = yield* rawRequest("POST", "/things", { body: { name: "x".repeat(257), count: 1 } })
        assert.strictEqual(value.status, 413)
        assert.deepStrictEqual(value.json, tooLong)
        const key = yield* rawRequest("POST", "/things", { body: { ["k".repeat(300)]: 1 } })
        assert.deepStrictEqual([key.status, key.json], [413, tooLong])
        const unterminated = yield* rawRequest("POST", "/things", { body: `{"name": "${"x".repeat(300)}` })
        assert.deepStrictEqual([unterminated.status, unterminated.json], [413, tooLong])
        const escaped = yield* rawRequest("POST", "/things", { body: { name: "\"".repeat(128), count: 1 } })
        assert.strictEqual(escaped.status, 201)
        assert.deepStrictEqual(escaped.json, { name: "\"".repeat(128), count: 1 })
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

  describe("security headers", () => {
    it.effect("every answer carries X-Content-Type-Options: nosniff, and no HSTS outside production", () =>
      Effect.gen(function*() {
        const answers = [
          yield* rawRequest("GET", "/things?limit=1"),
          yield* rawRequest("GET", "/no/such/path"),
          yield* rawRequest("DELETE", "/things"),
          yield* rawRequest("POST", "/things", { body: "{" }),
          yield* rawRequest("GET", "/boom"),
          yield* rawRequest("GET", "/secret"),
          yield* rawRequest("OPTIONS", "/things", {
            headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" }
          })
        ]
        assert.deepStrictEqual(answers.map((response) => response.status), [200, 404, 405, 422, 500, 401, 204])
        for (const response of answers) {
          assert.strictEqual(response.headers["x-content-type-options"], "nosniff")
          assert.isUndefined(response.headers["strict-transport-security"])
          assert.isUndefined(response.headers["cache-control"])
        }
      }))

    it.effect("answers under /auth and /admin carry Cache-Control: no-store, errors and redirects included", () =>
      Effect.gen(function*() {
        const answers = [
          yield* rawRequest("POST", "/auth/token", { body: { code: "c-1" } }),
          yield* rawRequest("POST", "/auth/token"),
          yield* rawRequest("GET", "/auth/token"),
          yield* rawRequest("GET", "/auth/unknown?x=1"),
          yield* rawRequest("GET", "/admin/stats")
        ]
        assert.deepStrictEqual(answers.map((response) => response.status), [200, 422, 405, 404, 200])
        assert.deepStrictEqual(answers[0]!.json, { access_token: "token-for-c-1" })
        for (const response of answers) {
          assert.strictEqual(response.headers["cache-control"], "no-store")
          assert.strictEqual(response.headers["pragma"], "no-cache")
          assert.strictEqual(response.headers["x-content-type-options"], "nosniff")
        }
        // A path that only starts with the same letters is not under /auth.
        const other = yield* rawRequest("GET", "/authors")
        assert.isUndefined(other.headers["cache-control"])
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

layer(probeServer(true), { excludeTestServices: true })("the HTTP edge in production", (it) => {
  it.effect("every answer carries Strict-Transport-Security", () =>
    Effect.gen(function*() {
      const answers = [
        yield* rawRequest("GET", "/things?limit=1"),
        yield* rawRequest("GET", "/no/such/path"),
        yield* rawRequest("POST", "/auth/token", { body: { code: "c-2" } }),
        yield* rawRequest("GET", "/boom")
      ]
      assert.deepStrictEqual(answers.map((response) => response.status), [200, 404, 200, 500])
      for (const response of answers) {
        assert.strictEqual(response.headers["strict-transport-security"], "max-age=63072000; includeSubDomains")
        assert.strictEqual(response.headers["x-content-type-options"], "nosniff")
      }
    }))
})

const noStore = (response: RawResponse, what: string) => {
  assert.strictEqual(response.headers["cache-control"], "no-store", what)
  assert.strictEqual(response.headers["x-content-type-options"], "nosniff", what)
}

layer(authTestLayer(), { excludeTestServices: true })("the edge of the real API", (it) => {
  const bodyOperations = [
    "/auth/signup",
    "/auth/signup/verify",
    "/auth/signup/resend",
    "/auth/signin",
    "/auth/signin/code/request",
    "/auth/signin/code",
    "/auth/token/refresh",
    "/auth/password/reset",
    "/auth/password/reset/confirm"
  ]

  it.effect("a missing body is FastAPI's 422 on every public operation that takes one", () =>
    Effect.gen(function*() {
      for (const path of bodyOperations) {
        for (const body of [undefined, "", "  ", "null"]) {
          const response = yield* call("POST", path, body === undefined ? {} : { body })
          assert.strictEqual(response.status, 422, `${path} ${JSON.stringify(body)}: ${response.text}`)
          assert.deepStrictEqual(response.json, missingBody)
        }
      }
    }))

  it.effect("token answers, and every other /auth answer, carry Cache-Control: no-store", () =>
    Effect.gen(function*() {
      const email = uniqueEmail("edge")
      const signup = yield* call("POST", "/auth/signup", { body: { email, password } })
      assert.strictEqual(signup.status, 201, signup.text)
      noStore(signup, "signup")
      const code = yield* latestCode(email, "email_verification")
      const verified = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code } })
      assert.strictEqual(verified.status, 200, verified.text)
      noStore(verified, "verify")
      const signin = yield* call("POST", "/auth/signin", { body: { email, password } })
      assert.strictEqual(signin.status, 200, signin.text)
      noStore(signin, "signin")
      const refreshToken = (signin.json as { refresh_token: string }).refresh_token
      const refreshed = yield* call("POST", "/auth/token/refresh", { body: { refresh_token: refreshToken } })
      assert.strictEqual(refreshed.status, 200, refreshed.text)
      noStore(refreshed, "refresh")
      const wrongPassword = yield* call("POST", "/auth/signin", { body: { email, password: "Wrong-Horse-9" } })
      assert.strictEqual(wrongPassword.status, 401)
      noStore(wrongPassword, "wrong password")
      const callback = yield* call("GET", "/auth/oauth/google/callback?code=c&state=forged")
      assert.isBelow(callback.status, 500)
      noStore(callback, "OAuth callback")
      const me = yield* call("GET", "/auth/me", { token: (signin.json as { access_token: string }).access_token })
      assert.strictEqual(me.status, 200)
      noStore(me, "profile")
    }))

  it.effect("answers outside /auth and /admin may be cached, and none carries HSTS outside production", () =>
    Effect.gen(function*() {
      const plans = yield* call("GET", "/api/subscriptions/plans")
      assert.strictEqual(plans.status, 200)
      assert.strictEqual(plans.headers["x-content-type-options"], "nosniff")
      assert.isUndefined(plans.headers["cache-control"])
      assert.isUndefined(plans.headers["strict-transport-security"])
      const admin = yield* call("GET", "/admin/api/dlq")
      assert.strictEqual(admin.status, 401)
      assert.strictEqual(admin.headers["cache-control"], "no-store")
    }))
})
