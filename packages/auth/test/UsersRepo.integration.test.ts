import { assert, layer } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { UsersRepo } from "../src/UsersRepo.ts"
import { authServicesLayer, newUser } from "./support.ts"

layer(authServicesLayer(), { excludeTestServices: true })("UsersRepo", (it) => {
  it.effect("providers are stored in upper case and read back through their one codec", () =>
    Effect.gen(function*() {
      const users = yield* UsersRepo
      const user = yield* newUser
      yield* users.linkOAuthAccount(user.id, "google", "g-1", user.email)
      yield* users.linkOAuthAccount(user.id, "github", "h-1", null)
      const sql = yield* SqlClient.SqlClient
      const stored = yield* sql<{ readonly provider: string }>`
        SELECT provider FROM oauth_accounts WHERE user_id = ${user.id} ORDER BY provider`
      assert.deepStrictEqual(stored.map((row) => row.provider), ["GITHUB", "GOOGLE"])
      assert.deepStrictEqual(yield* users.oauthProviders(user.id), ["github", "google"])
      const signedIn = Option.getOrThrow(yield* users.authenticate(user.id, null, yield* DateTime.now))
      assert.deepStrictEqual(signedIn.oauthProviders, ["github", "google"])
      const { isDeleted: _, oauthProviders: __, sessionLive: ___, ...asUser } = signedIn
      assert.deepStrictEqual(asUser, Option.getOrThrow(yield* users.findById(user.id)))
      assert.strictEqual(Option.getOrThrow(yield* users.findByOAuthAccount("github", "h-1")).id, user.id)
      assert.isTrue(Option.isNone(yield* users.findByOAuthAccount("google", "h-1")))
    }))

  it.effect("a deleted user is gone for every lookup but the Bearer check, and loses its sign-in methods", () =>
    Effect.gen(function*() {
      const users = yield* UsersRepo
      const user = yield* newUser
      const fresh = Option.getOrThrow(yield* users.authenticate(user.id, null, yield* DateTime.now))
      assert.deepStrictEqual(fresh.oauthProviders, [])
      yield* users.linkOAuthAccount(user.id, "google", "g-2", user.email)
      yield* users.softDelete(user.id, yield* DateTime.now)
      assert.isTrue(Option.isNone(yield* users.findById(user.id)))
      assert.isTrue(Option.isNone(yield* users.findByEmail(user.email)))
      assert.isTrue(Option.isNone(yield* users.findByOAuthAccount("google", "g-2")))
      const seen = Option.getOrThrow(yield* users.authenticate(user.id, null, yield* DateTime.now))
      assert.deepInclude(seen, { id: user.id, isDeleted: true, sessionLive: false })
      assert.strictEqual((yield* users.profiles([user.id])).size, 0)
    }))
})
