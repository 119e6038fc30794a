import { captureLogs, makeTcpProxy, TestEnvironment, TestInfra, TestSettings } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Schedule } from "effect"
import { Redis as IoRedis } from "ioredis"
import { Redis } from "../src/Redis.ts"

layer(Redis.layer.pipe(Layer.provideMerge(TestInfra.layer())), { excludeTestServices: true })("Redis", (it) => {
  it.effect("answers ping", () =>
    Effect.gen(function*() {
      const redis = yield* Redis
      assert.isTrue(yield* redis.ping)
    }))

  it.effect("keeps every key under the configured prefix", () =>
    Effect.gen(function*() {
      const redis = yield* Redis
      const { env, redisKeyPrefix } = yield* TestEnvironment
      assert.strictEqual(redis.keyPrefix, redisKeyPrefix)
      yield* redis.use((client) => client.set("probe", "1"))
      const unprefixed = new IoRedis(env.REDIS_URL!)
      const stored = yield* Effect.promise(() => unprefixed.get(`${redisKeyPrefix}probe`)).pipe(
        Effect.ensuring(Effect.sync(() => unprefixed.disconnect()))
      )
      assert.strictEqual(stored, "1")
      assert.strictEqual(yield* redis.use((client) => client.get("probe")), "1")
    }))
})

it.live("reports an unreachable Redis without failing to start", () =>
  Effect.gen(function*() {
    const redis = yield* Redis
    assert.isFalse(yield* redis.ping)
    const failure = yield* redis.use((client) => client.get("x")).pipe(Effect.flip)
    assert.strictEqual(failure._tag, "RedisError")
  }).pipe(
    Effect.provide(Redis.layer),
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      REDIS_URL: "redis://127.0.0.1:1/0",
      REDIS_COMMAND_TIMEOUT: "200 millis"
    })))
  ))

const waitUntil = (check: () => boolean) =>
  Effect.sync(check).pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout("20 seconds")
  )

it.live("logs a lost connection once, not on every reconnection attempt, and its recovery", () =>
  Effect.gen(function*() {
    const { redisUrl } = yield* TestSettings
    const target = new URL(redisUrl)
    const proxy = yield* makeTcpProxy({ host: target.hostname, port: Number(target.port || 6379) })
    const logs = captureLogs()
    const redis = yield* Redis.layer.pipe(
      Layer.build,
      Effect.map(Context.get(Redis)),
      Effect.provide(logs.layer),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
        REDIS_URL: `redis://127.0.0.1:${proxy.port}/0`,
        REDIS_COMMAND_TIMEOUT: "200 millis"
      })))
    )
    const redisLines = () => logs.lines.filter((line) => String(line.message).includes("Redis"))
    assert.isTrue(yield* redis.ping)
    assert.deepStrictEqual(redisLines(), [])

    let attempts = 0
    redis.client.on("reconnecting", () => attempts++)
    proxy.cut()
    yield* waitUntil(() => attempts >= 3)
    const warnings = redisLines().filter((line) => line.level === "WARN")
    assert.lengthOf(warnings, 1)
    assert.include(String(warnings[0]!.message), "Redis connection lost")

    proxy.restore()
    yield* waitUntil(() => redisLines().some((line) => String(line.message).includes("Redis connection restored")))
    assert.isTrue(yield* redis.ping)
    assert.lengthOf(redisLines().filter((line) => line.level === "WARN"), 1)
  }))
