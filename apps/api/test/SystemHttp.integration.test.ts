import { CuebxApi } from "@cuebx/contract"
import { rawRequest } from "@cuebx/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Validator } from "@seriousme/openapi-schema-validator"
import { Effect, Schedule } from "effect"
import { HttpApiClient } from "effect/http-api"
import { apiTestLayer } from "./support.ts"

/** RabbitMQ connects in the background; health answers 200 once it has. */
const healthyResponse = rawRequest("GET", "/health").pipe(
  Effect.repeat({ until: (response) => response.status === 200, schedule: Schedule.spaced("50 millis") }),
  Effect.timeout("15 seconds")
)

layer(apiTestLayer(), { excludeTestServices: true })("system endpoints", (it) => {
  describe("GET /health", () => {
    it.effect("answers as the reference when every dependency is up", () =>
      Effect.gen(function*() {
        const response = yield* healthyResponse
        assert.deepStrictEqual(response.json, {
          status: "ok",
          message: "CueBX API is running.",
          checks: { database: "ok", redis: "ok", rabbitmq: "ok" }
        })
        assert.strictEqual(response.headers["content-type"], "application/json")
      }))

    it.effect("is reachable through the typed client", () =>
      Effect.gen(function*() {
        yield* healthyResponse
        const client = yield* HttpApiClient.make(CuebxApi)
        const health = yield* client.health()
        assert.strictEqual(health.status, "ok")
        const ready = yield* client.ready()
        assert.deepStrictEqual(ready, { status: "ready", checks: { database: "ok", redis: "ok", rabbitmq: "ok" } })
      }))

    it.effect("answers HEAD with headers and no body", () =>
      Effect.gen(function*() {
        yield* healthyResponse
        const response = yield* rawRequest("HEAD", "/health")
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.text, "")
      }))
  })

  describe("routing", () => {
    it.effect("answers unknown paths with 404 {detail}", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/no/such/path")
        assert.strictEqual(response.status, 404)
        assert.deepStrictEqual(response.json, { detail: "Not Found" })
      }))

    it.effect("answers a wrong method with 405 {detail} and Allow", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("DELETE", "/health")
        assert.strictEqual(response.status, 405)
        assert.deepStrictEqual(response.json, { detail: "Method Not Allowed" })
        assert.strictEqual(response.headers["allow"], "GET, HEAD")
      }))

    it.effect("welcomes at / like the reference, outside the OpenAPI document", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/")
        assert.strictEqual(response.status, 200)
        const body = response.json as { message: string; documentations: { swagger: string }; version: string }
        assert.strictEqual(body.message, "Welcome to CueBX API")
        assert.match(body.documentations.swagger, /^http.*\/docs$/)
        assert.strictEqual(body.version, "1.0.0")
      }))
  })

  describe("request ids", () => {
    it.effect("echoes a valid X-Request-ID", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/", { headers: { "x-request-id": "req-123.abc" } })
        assert.strictEqual(response.headers["x-request-id"], "req-123.abc")
      }))

    it.effect("replaces a missing or unsafe one with a fresh UUID", () =>
      Effect.gen(function*() {
        const missing = yield* rawRequest("GET", "/")
        assert.match(missing.headers["x-request-id"]!, /^[0-9a-f-]{36}$/)
        const unsafe = yield* rawRequest("GET", "/", { headers: { "x-request-id": "bad id\twith spaces" } })
        assert.match(unsafe.headers["x-request-id"]!, /^[0-9a-f-]{36}$/)
        const notFound = yield* rawRequest("GET", "/missing", { headers: { "x-request-id": "trace-404" } })
        assert.strictEqual(notFound.headers["x-request-id"], "trace-404")
      }))
  })

  describe("CORS", () => {
    it.effect("allows the configured origin with credentials and exposes the request id", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/", { headers: { origin: "http://localhost:3000" } })
        assert.strictEqual(response.headers["access-control-allow-origin"], "http://localhost:3000")
        assert.strictEqual(response.headers["access-control-allow-credentials"], "true")
        assert.include(response.headers["access-control-expose-headers"], "X-Request-ID")
      }))

    it.effect("answers preflight requests", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("OPTIONS", "/health", {
          headers: { origin: "http://localhost:3000", "access-control-request-method": "GET" }
        })
        assert.strictEqual(response.status, 204)
        assert.strictEqual(response.headers["access-control-allow-origin"], "http://localhost:3000")
      }))
  })

  describe("documents", () => {
    it.effect("serves a valid OpenAPI 3.1 document at /openapi.json", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/openapi.json")
        assert.strictEqual(response.status, 200)
        const document = response.json as {
          openapi: string
          info: { title: string; version: string }
          paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
        }
        assert.strictEqual(document.openapi, "3.1.0")
        assert.strictEqual(document.info.title, "CueBX")
        assert.hasAllKeys(document.paths["/health"]!, ["get"])
        assert.hasAllKeys(document.paths["/health"]!["get"]!.responses, ["200", "422", "503"])
        assert.notProperty(document.paths, "/")
        const validation = yield* Effect.promise(() =>
          new Validator().validate(document as Parameters<Validator["validate"]>[0])
        )
        assert.isTrue(validation.valid, JSON.stringify(validation.errors))
        assertRefsResolve(document)
      }))

    it.effect("renders the Scalar reference at /docs", () =>
      Effect.gen(function*() {
        const response = yield* rawRequest("GET", "/docs")
        assert.strictEqual(response.status, 200)
        assert.include(response.headers["content-type"], "text/html")
        assert.include(response.text, "<html")
        assert.include(response.text, "CueBX")
      }))
  })
})

/** Every `$ref` in the document points at an existing component. */
const assertRefsResolve = (document: object) => {
  const refs = JSON.stringify(document).match(/"\$ref":"#\/[^"]+"/g) ?? []
  for (const ref of refs) {
    const path = ref.slice("\"$ref\":\"#/".length, -1).split("/")
    const target = path.reduce<unknown>(
      (node, key) => (node as Record<string, unknown> | undefined)?.[decodeURIComponent(key)],
      document
    )
    assert.isDefined(target, `${ref} does not resolve`)
  }
}
