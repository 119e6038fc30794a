/**
 * The API as a real process: it refuses an insecure production configuration before opening a
 * port, and on SIGTERM it finishes the request in flight before exiting cleanly.
 */
import { allQueueNames } from "@cuebx/broker"
import { freePort, makeFakeHttpServer, makeTcpProxy, spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"

const entry = "apps/api/src/main.ts"

it.live("refuses to start in production with insecure settings (embedded infrastructure too), naming each one", () =>
  Effect.gen(function*() {
    const program = yield* spawnProgram(entry, {
      ENVIRONMENT: "production",
      DEBUG: "true",
      CUEBX_INFRA: "embedded",
      PORT: String(yield* freePort)
    })
    assert.strictEqual(yield* program.exited, 1)
    const output = program.output().join("\n")
    for (
      const name of [
        "SESSION_SECRET_KEY",
        "JWT_SECRET_KEY",
        "OTP_HMAC_SECRET",
        "INTERNAL_API_SECRET",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_KEY",
        "ADMIN_PASSWORD",
        "RATE_LIMIT_BACKEND",
        "QUOTA_CACHE_BACKEND",
        "DEBUG",
        "DATABASE_URL",
        "CUEBX_INFRA"
      ]
    ) {
      assert.include(output, name)
    }
    assert.notInclude(output, "listening")
    // Refused before anything embedded starts.
    assert.notInclude(output, "Embedded PostgreSQL")
  }))

layer(TestInfra.layer({ queues: allQueueNames() }), { excludeTestServices: true })("graceful shutdown", (it) => {
  it.effect("finishes the request in flight on SIGTERM, then exits 0", () =>
    Effect.gen(function*() {
      const { env, databaseUrl } = yield* TestEnvironment
      // PostgreSQL behind a proxy we can hang, so /health is still running when SIGTERM arrives.
      const postgres = yield* makeTcpProxy({ host: "127.0.0.1", port: 5432 })
      const viaProxy = new URL(Redacted.value(databaseUrl))
      viaProxy.port = String(postgres.port)
      const port = yield* freePort
      const api = yield* spawnProgram(entry, {
        ...env,
        DATABASE_URL: viaProxy.toString(),
        PORT: String(port),
        HOST: "127.0.0.1"
      })
      yield* api.waitForOutput("CueBX API listening")

      postgres.pause()
      const inFlight = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/health`)).pipe(Effect.forkChild)
      yield* Effect.sleep("300 millis")
      api.process.kill("SIGTERM")

      const response = yield* Fiber.join(inFlight)
      assert.strictEqual(response.status, 503) // the database probe timed out, but the answer arrived
      postgres.resume()
      assert.strictEqual(yield* api.exited, 0)
      yield* api.waitForOutput("CueBX API stopped")
    }))
})

layer(TestInfra.layer({ queues: allQueueNames() }), { excludeTestServices: true })("OTLP export", (it) => {
  it.effect("sends traces to OTEL_EXPORTER_OTLP_ENDPOINT over OTLP/HTTP", () =>
    Effect.gen(function*() {
      const { env } = yield* TestEnvironment
      const collector = yield* makeFakeHttpServer("otel-collector", { "POST /v1/traces": { status: 200, body: {} } })
      const port = yield* freePort
      const api = yield* spawnProgram(entry, {
        ...env,
        PORT: String(port),
        HOST: "127.0.0.1",
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: "cuebx-api-otlp-test"
      })
      yield* api.waitForOutput("CueBX API listening")
      yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/health`))
      api.process.kill("SIGTERM") // flushes the batch of spans on shutdown
      assert.strictEqual(yield* api.exited, 0)
      const exports = collector.requestsTo("POST /v1/traces")
      assert.isNotEmpty(exports)
      const body = exports.map((request) => request.body).join("\n")
      assert.include(body, "cuebx-api-otlp-test")
      assert.include(body, "GET")
    }))
})
