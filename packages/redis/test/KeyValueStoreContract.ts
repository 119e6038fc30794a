/**
 * The one contract every `KeyValueStore` keeps, run against each implementation (Redis and
 * in-process): values round-trip, expire, are taken exactly once, and one layer is one store.
 */
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, type Layer, Schedule } from "effect"
import { KeyValueStore } from "../src/KeyValueStore.ts"

const gone = (store: KeyValueStore["Service"], key: string) =>
  store.get(key).pipe(
    Effect.repeat({ until: (value) => value === null, schedule: Schedule.spaced("20 millis") }),
    Effect.timeout("5 seconds")
  )

export const keyValueStoreContract = <E>(name: string, storeLayer: Layer.Layer<KeyValueStore, E>) =>
  layer(storeLayer, { excludeTestServices: true })(`${name} key-value store`, (it) => {
    it.effect("returns what was set, replaces it, deletes it", () =>
      Effect.gen(function*() {
        const store = yield* KeyValueStore
        assert.isTrue(yield* store.ping)
        assert.isNull(yield* store.get("contract:missing"))
        yield* store.set("contract:kept", "one", Duration.minutes(1))
        assert.strictEqual(yield* store.get("contract:kept"), "one")
        assert.strictEqual(yield* store.get("contract:kept"), "one")
        yield* store.set("contract:kept", "two", Duration.minutes(1))
        assert.strictEqual(yield* store.get("contract:kept"), "two")
        yield* store.delete("contract:kept")
        assert.isNull(yield* store.get("contract:kept"))
      }))

    it.effect("take hands a value out once: of concurrent takes exactly one gets it", () =>
      Effect.gen(function*() {
        const store = yield* KeyValueStore
        yield* store.set("contract:once", "state", Duration.minutes(1))
        const taken = yield* Effect.all(Array.from({ length: 20 }, () => store.take("contract:once")), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(taken.filter((value) => value !== null), ["state"])
        assert.isNull(yield* store.get("contract:once"))
        assert.isNull(yield* store.take("contract:never-set"))
      }))

    it.effect("forgets a value once its time to live has passed, and not before", () =>
      Effect.gen(function*() {
        const store = yield* KeyValueStore
        yield* store.set("contract:short", "soon gone", Duration.millis(150))
        yield* store.set("contract:long", "stays", Duration.minutes(1))
        assert.strictEqual(yield* store.get("contract:short"), "soon gone")
        yield* gone(store, "contract:short")
        assert.isNull(yield* store.take("contract:short"))
        assert.strictEqual(yield* store.get("contract:long"), "stays")
      }))

    it.effect("is one store for every user of the layer", () =>
      Effect.gen(function*() {
        const writer = yield* KeyValueStore
        yield* writer.set("contract:shared", "seen", Duration.minutes(1))
        const reader = yield* KeyValueStore
        assert.strictEqual(yield* reader.take("contract:shared"), "seen")
        assert.isNull(yield* writer.get("contract:shared"))
      }))
  })
