import { TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
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
