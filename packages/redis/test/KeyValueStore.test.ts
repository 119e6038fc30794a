import { assert, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { KeyValueStore } from "../src/KeyValueStore.ts"
import { keyValueStoreContract } from "./KeyValueStoreContract.ts"

keyValueStoreContract("in-process", KeyValueStore.layerMemory)

it.effect("in-process: expiry follows the program's Clock", () =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore
    yield* store.set("clocked", "value", Duration.minutes(10))
    yield* TestClock.adjust(Duration.minutes(9))
    assert.strictEqual(yield* store.get("clocked"), "value")
    yield* TestClock.adjust(Duration.minutes(1))
    assert.isNull(yield* store.get("clocked"))
  }).pipe(Effect.provide(KeyValueStore.layerMemory)))
