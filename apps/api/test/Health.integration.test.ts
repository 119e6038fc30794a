import { makeTcpProxy, rawRequest, type RawResponse, type TcpProxy } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { apiTestLayer } from "./support.ts"

const awaitResponse = (path: string, until: (response: RawResponse) => boolean) =>
  rawRequest("GET", path).pipe(
    Effect.repeat({ until, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout("15 seconds")
  )

const statusBecomes = (path: string, status: number) => awaitResponse(path, (response) => response.status === status)

/** RabbitMQ connects in the background: wait for it before asserting on the other checks. */
const brokerConnected = (response: RawResponse) =>
  (response.json as { checks?: { rabbitmq?: string } }).checks?.rabbitmq === "ok"

layer(
  apiTestLayer({ env: { REDIS_URL: "redis://127.0.0.1:1/0", REDIS_COMMAND_TIMEOUT: "200 millis" } }),
  { excludeTestServices: true }
)("with Redis unreachable", (it) => {
  it.effect("health answers 503 naming the dependency, in both endpoints", () =>
    Effect.gen(function*() {
      const health = yield* awaitResponse("/health", brokerConnected)
      assert.strictEqual(health.status, 503)
      assert.deepStrictEqual(health.json, {
        detail: "One or more health checks failed.",
        checks: { database: "ok", redis: "unavailable", rabbitmq: "ok" }
      })
      const ready = yield* rawRequest("GET", "/health/ready")
      assert.strictEqual(ready.status, 503)
      assert.deepStrictEqual(ready.json, {
        detail: "Not ready: redis unavailable.",
        checks: { database: "ok", redis: "unavailable", rabbitmq: "ok" }
      })
    }))
})

layer(apiTestLayer({ env: { ENABLE_MESSAGING: "false" } }), { excludeTestServices: true })(
  "with messaging disabled",
  (it) => {
    it.effect("health leaves RabbitMQ out, as the reference does", () =>
      Effect.gen(function*() {
        const health = yield* rawRequest("GET", "/health")
        assert.strictEqual(health.status, 200)
        assert.deepStrictEqual((health.json as { checks: unknown }).checks, { database: "ok", redis: "ok" })
      }))
  }
)

class RabbitProxy extends Context.Service<RabbitProxy, TcpProxy>()("test/RabbitProxy") {}

const withRabbitBehindProxy = Layer.unwrap(Effect.gen(function*() {
  const proxy = yield* makeTcpProxy({ host: "127.0.0.1", port: 5672 })
  return apiTestLayer({ env: { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}` } }).pipe(
    Layer.merge(Layer.succeed(RabbitProxy, proxy))
  )
}))

layer(withRabbitBehindProxy, { excludeTestServices: true })("with RabbitMQ going away", (it) => {
  it.effect("readiness follows the broker connection down and back up", () =>
    Effect.gen(function*() {
      const proxy = yield* RabbitProxy
      yield* statusBecomes("/health/ready", 200)
      proxy.cut()
      const down = yield* statusBecomes("/health/ready", 503)
      assert.deepStrictEqual((down.json as { checks: unknown }).checks, {
        database: "ok",
        redis: "ok",
        rabbitmq: "unavailable"
      })
      proxy.restore()
      yield* statusBecomes("/health/ready", 200)
    }))
})
