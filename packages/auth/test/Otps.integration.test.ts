import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { Otps } from "../src/Otps.ts"
import { authServicesLayer, latestCode, newUser, onTestClock, testEpoch } from "./support.ts"

const storedExpiry = (email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly expiresAt: Date }>`
      SELECT expires_at FROM otp_tokens WHERE email = ${email} AND NOT is_deleted ORDER BY created_at DESC LIMIT 1`
    return rows[0]!.expiresAt.getTime()
  })

layer(authServicesLayer({ env: { OTP_EXPIRY_MINUTES: "10" } }), { excludeTestServices: true })("Otps", (it) => {
  it.effect("a code is stamped to expire OTP_EXPIRY_MINUTES after it was issued, on the Clock", () =>
    onTestClock(Effect.gen(function*() {
      const otps = yield* Otps
      const user = yield* newUser
      yield* otps.issue({ email: user.email, purpose: "sign_in", userId: user.id, userName: null })
      assert.strictEqual(yield* storedExpiry(user.email), testEpoch + 10 * 60_000)
    })))

  it.effect("a code works until its expiry and is refused from then on (TestClock)", () =>
    onTestClock(Effect.gen(function*() {
      const otps = yield* Otps
      const user = yield* newUser
      const issue = otps.issue({ email: user.email, purpose: "email_verification", userId: user.id, userName: null })

      yield* issue
      const expired = yield* latestCode(user.email)
      yield* TestClock.adjust("10 minutes")
      const refused = yield* Effect.flip(otps.verify(user.email, "email_verification", expired))
      assert.strictEqual(refused._tag, "OtpInvalid", "the right code, presented at its expiry")

      yield* issue
      const fresh = yield* latestCode(user.email)
      yield* TestClock.adjust("9 minutes")
      yield* TestClock.adjust("59 seconds")
      assert.deepStrictEqual(yield* otps.verify(user.email, "email_verification", fresh), { userId: user.id })
    })))

  it.effect("an expired code is refused without counting an attempt or being used up", () =>
    onTestClock(Effect.gen(function*() {
      const otps = yield* Otps
      const user = yield* newUser
      yield* otps.issue({ email: user.email, purpose: "password_reset", userId: user.id, userName: null })
      const code = yield* latestCode(user.email)
      yield* TestClock.adjust("1 hour")
      for (let attempt = 0; attempt < 3; attempt++) {
        const refused = yield* Effect.flip(otps.verify(user.email, "password_reset", code))
        assert.strictEqual(refused._tag, "OtpInvalid")
      }
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ readonly attempts: number; readonly usedAt: Date | null }>`
        SELECT attempts, used_at FROM otp_tokens WHERE email = ${user.email}`
      assert.deepStrictEqual(row, { attempts: 0, usedAt: null })
    })))
})
