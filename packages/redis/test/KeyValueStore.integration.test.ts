import { TestInfra } from "@cuebx/testing"
import { assert, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import { KeyValueStore } from "../src/KeyValueStore.ts"
import { Redis } from "../src/Redis.ts"
import { keyValueStoreContract } from "./KeyValueStoreContract.ts"

keyValueStoreContract(
  "Redis",
  KeyValueStore.layerRedis.pipe(Layer.provide(Redis.layer), Layer.provide(TestInfra.layer()))
)

it.live("Redis: an unreachable Redis does not ping, and is StoreUnavailable, never a missing value", () =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore
    assert.isFalse(yield* store.ping)
    assert.strictEqual((yield* store.take("x").pipe(Effect.flip))._tag, "StoreUnavailable")
    assert.strictEqual((yield* store.set("x", "y", Duration.seconds(1)).pipe(Effect.flip))._tag, "StoreUnavailable")
  }).pipe(
    Effect.provide(KeyValueStore.layerRedis.pipe(Layer.provide(Redis.layer))),
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      REDIS_URL: "redis://127.0.0.1:1/0",
      REDIS_COMMAND_TIMEOUT: "200 millis"
    })))
  ))
