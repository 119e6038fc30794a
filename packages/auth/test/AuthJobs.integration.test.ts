import { DatabaseLive } from "@cuebx/db"
import { TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { cleanupExpiredSessionsJob, purgeDeletedUsersJob } from "../src/AuthJobs.ts"
import { UsersRepo } from "../src/UsersRepo.ts"

layer(UsersRepo.layer.pipe(Layer.provideMerge(DatabaseLive), Layer.provideMerge(TestInfra.layer())), {
  excludeTestServices: true
})("auth jobs", (it) => {
  it.effect("purge-deleted-users removes accounts deleted longer than the retention ago, and only those", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`
        INSERT INTO users (email, is_deleted, deleted_at) VALUES
          ('old@example.com', true, now() - interval '31 days'),
          ('recent@example.com', true, now() - interval '29 days'),
          ('live@example.com', false, NULL)`
      const [old] = yield* sql<{ readonly id: string }>`SELECT id FROM users WHERE email = 'old@example.com'`
      yield* sql`
        INSERT INTO user_sessions (user_id, expires_at) VALUES (${old!.id}, now() + interval '1 day')`
      yield* purgeDeletedUsersJob.run
      const left = yield* sql<{ readonly email: string }>`SELECT email FROM users ORDER BY email`
      assert.deepStrictEqual(left.map((row) => row.email), ["live@example.com", "recent@example.com"])
      const sessions = yield* sql`SELECT 1 FROM user_sessions WHERE user_id = ${old!.id}`
      assert.strictEqual(sessions.length, 0)
    }))

  it.effect("purge-deleted-users counts the retention on the Clock that stamped the deletion (TestClock)", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const users = yield* UsersRepo
      const deletedAt = Date.parse("2031-05-01T08:00:00.000Z")
      yield* TestClock.setTime(deletedAt)
      const user = yield* users.create({ email: "clock@example.com", passwordHash: null, fullName: null })
      yield* users.softDelete(user.id, yield* DateTime.now)
      const remaining = sql<{ readonly id: string }>`SELECT id FROM users WHERE id = ${user.id}`
      yield* TestClock.adjust("30 days")
      yield* purgeDeletedUsersJob.run
      assert.strictEqual((yield* remaining).length, 1, "kept for exactly the retention period")
      yield* TestClock.adjust("1 millis")
      yield* purgeDeletedUsersJob.run
      assert.strictEqual((yield* remaining).length, 0)
    }).pipe(Effect.provide(TestClock.layer())))

  it.effect("cleanup-expired-sessions deletes what expired more than a day ago", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const [user] = yield* sql<
        { readonly id: string }
      >`INSERT INTO users (email) VALUES ('sessions@example.com') RETURNING id`
      yield* sql`
        INSERT INTO user_sessions (user_id, expires_at) VALUES
          (${user!.id}, now() - interval '2 days'), (${user!.id}, now() + interval '2 days')`
      yield* sql`
        INSERT INTO otp_tokens (email, code_hash, purpose, expires_at) VALUES
          ('sessions@example.com', 'x', 'SIGN_IN', now() - interval '2 days')`
      yield* cleanupExpiredSessionsJob.run
      const sessions = yield* sql`SELECT 1 FROM user_sessions WHERE user_id = ${user!.id}`
      assert.strictEqual(sessions.length, 1)
      const codes = yield* sql`SELECT 1 FROM otp_tokens WHERE email = 'sessions@example.com'`
      assert.strictEqual(codes.length, 0)
    }))
})
