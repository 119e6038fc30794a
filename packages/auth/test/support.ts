/**
 * The auth services on isolated real infrastructure, for service-level tests that drive time
 * with `TestClock`: codes, sessions and the repositories, with a user to issue them to.
 */
import { MessageSecrets, Outbox } from "@cuebx/broker"
import { DatabaseLive } from "@cuebx/db"
import { TestInfra, type TestInfraOptions } from "@cuebx/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { AccessTokens } from "../src/AccessTokens.ts"
import { Otps } from "../src/Otps.ts"
import { Sessions } from "../src/Sessions.ts"
import { SessionsRepo } from "../src/SessionsRepo.ts"
import { UsersRepo } from "../src/UsersRepo.ts"

export const authServicesLayer = (options: TestInfraOptions = {}) =>
  Layer.mergeAll(Otps.layer, Sessions.layer).pipe(
    Layer.provideMerge(
      Layer.mergeAll(UsersRepo.layer, SessionsRepo.layer, AccessTokens.layer, Outbox.layer, MessageSecrets.layer)
    ),
    Layer.provideMerge(DatabaseLive),
    Layer.provideMerge(TestInfra.layer(options))
  )

/** Far from the database's clock, so anything stamped with `now()` instead of the `Clock` shows. */
export const testEpoch = Date.parse("2031-05-01T08:00:00.000Z")

/** Runs `effect` on a `TestClock` set to `testEpoch` (the shared layer runs on the real clock). */
export const onTestClock = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.andThen(TestClock.setTime(testEpoch), effect).pipe(Effect.provide(TestClock.layer()))

let counter = 0
export const newUser = Effect.gen(function*() {
  const users = yield* UsersRepo
  return yield* users.create({
    email: `user-${counter++}-${crypto.randomUUID()}@example.com`,
    passwordHash: null,
    fullName: "Test User"
  })
})

/** The code of the newest `otp_emails` message to `email`, opened. */
export const latestCode = (email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const secrets = yield* MessageSecrets
    const rows = yield* sql<{ readonly code: string }>`
      SELECT payload->>'otp_code' AS code FROM outbox_messages
      WHERE queue = 'otp_emails' AND payload->>'email' = ${email}
      ORDER BY created_at DESC LIMIT 1`
    return yield* secrets.open(rows[0]!.code)
  })
