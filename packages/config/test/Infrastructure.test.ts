import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { createServer } from "node:net"
import {
  answers,
  describeChoice,
  InfraModeSetting,
  localDefaults,
  resolveInfrastructure
} from "../src/Infrastructure.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))

/** A port something listens on, for the scope's lifetime. */
const listening = Effect.acquireRelease(
  Effect.callback<ReturnType<typeof createServer>>((resume) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(Effect.map((server) => (server.address() as { port: number }).port))

/** A port nothing listens on: one that was just listened on and closed. */
const closedPort = Effect.scoped(listening)

const at = (port: number, scheme: string) => ({ url: `${scheme}://127.0.0.1:${port}/`, port })

describe("CUEBX_INFRA", () => {
  it.effect("is auto by default, external by default in production, and only one of the three", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* InfraModeSetting.pipe(withEnv({})), "auto")
      assert.strictEqual(yield* InfraModeSetting.pipe(withEnv({ ENVIRONMENT: "production" })), "external")
      assert.strictEqual(yield* InfraModeSetting.pipe(withEnv({ CUEBX_INFRA: "embedded" })), "embedded")
      const refused = yield* InfraModeSetting.pipe(withEnv({ CUEBX_INFRA: "sqlite" }), Effect.flip)
      assert.strictEqual(refused._tag, "ConfigError")
    }))

  it.live("auto: a part whose URL is unset is embedded unless its local default answers", () =>
    Effect.gen(function*() {
      const up = yield* listening
      const down = yield* closedPort
      const { choice } = yield* resolveInfrastructure({
        database: at(down, "postgresql"),
        cache: at(up, "redis"),
        broker: at(down, "amqp")
      }).pipe(withEnv({}))
      assert.deepStrictEqual(choice, { database: "embedded", cache: "external", broker: "embedded" })
    }).pipe(Effect.scoped))

  it.live("auto: a part with a URL uses it, answering or not; embedded and external ignore what answers", () =>
    Effect.gen(function*() {
      const down = yield* closedPort
      const nothingLocal = { database: at(down, "postgresql"), cache: at(down, "redis"), broker: at(down, "amqp") }
      const configured = yield* resolveInfrastructure(nothingLocal).pipe(withEnv({
        DATABASE_URL: `postgresql://127.0.0.1:${down}/x`,
        REDIS_URL: `redis://127.0.0.1:${down}/0`,
        RABBITMQ_URL: `amqp://127.0.0.1:${down}`
      }))
      assert.deepStrictEqual(configured.choice, { database: "external", cache: "external", broker: "external" })
      const external = yield* resolveInfrastructure(nothingLocal).pipe(withEnv({ CUEBX_INFRA: "external" }))
      assert.deepStrictEqual(external.choice, { database: "external", cache: "external", broker: "external" })
      const embedded = yield* resolveInfrastructure(localDefaults).pipe(withEnv({ CUEBX_INFRA: "embedded" }))
      assert.deepStrictEqual(embedded, {
        mode: "embedded",
        choice: { database: "embedded", cache: "embedded", broker: "embedded" }
      })
    }))

  it.live("a probe answers for a listening port and not for a closed one", () =>
    Effect.gen(function*() {
      assert.isTrue(yield* answers(`redis://127.0.0.1:${yield* listening}/0`, 6379))
      assert.isFalse(yield* answers(`redis://127.0.0.1:${yield* closedPort}/0`, 6379))
    }).pipe(Effect.scoped))

  it("the start-up line says what was chosen and how to switch", () => {
    const all = { database: "embedded", cache: "embedded", broker: "embedded" } as const
    assert.strictEqual(
      describeChoice(all, "embedded", "./.data"),
      "Infrastructure (CUEBX_INFRA=embedded): embedded PostgreSQL at ./.data/postgres, in-process cache, " +
        "database-backed queues; set DATABASE_URL, REDIS_URL and RABBITMQ_URL, or CUEBX_INFRA=external, to use servers"
    )
    assert.strictEqual(
      describeChoice({ database: "external", cache: "external", broker: "external" }, "external", "./.data"),
      "Infrastructure (CUEBX_INFRA=external): PostgreSQL at DATABASE_URL, Redis at REDIS_URL, RabbitMQ at " +
        "RABBITMQ_URL; CUEBX_INFRA=embedded runs without them"
    )
  })
})
