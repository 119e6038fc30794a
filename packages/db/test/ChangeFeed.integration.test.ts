import { TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { announce, ChangeFeed } from "../src/ChangeFeed.ts"
import { DatabaseLive } from "../src/Database.ts"

layer(ChangeFeed.layer.pipe(Layer.provideMerge(DatabaseLive), Layer.provideMerge(TestInfra.layer())), {
  excludeTestServices: true
})("ChangeFeed", (it) => {
  it.effect("delivers what committed transactions announce, in order, and nothing of a rolled-back one", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const feed = yield* ChangeFeed
      const events = yield* feed.subscribe
      const received = yield* events.pipe(
        Stream.filter((event) => event._tag === "Changed"),
        Stream.take(2),
        Stream.runCollect,
        Effect.forkChild
      )
      yield* sql.withTransaction(announce("workspace", "w-1"))
      yield* sql.withTransaction(Effect.andThen(announce("api_key", "rolled-back"), Effect.fail("rollback"))).pipe(
        Effect.ignore
      )
      yield* announce("api_key", "k-1")
      assert.deepStrictEqual(yield* Fiber.join(received).pipe(Effect.timeout("5 seconds")), [
        { _tag: "Changed", kind: "workspace", id: "w-1" },
        { _tag: "Changed", kind: "api_key", id: "k-1" }
      ])
    }))
})
