import { assert, layer } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { AccessTokens } from "../src/AccessTokens.ts"
import { Sessions } from "../src/Sessions.ts"
import { UsersRepo } from "../src/UsersRepo.ts"
import { authServicesLayer, newUser, onTestClock, testEpoch } from "./support.ts"

const noClient = { rememberMe: false, deviceInfo: null, ipAddress: null } as const

const refusal = (refreshToken: string) =>
  Effect.gen(function*() {
    const sessions = yield* Sessions
    return (yield* Effect.flip(sessions.refresh(refreshToken))).detail
  })

/** Whether the Bearer check's query finds the access token's session live at `at`. */
const sessionLiveAt = (accessToken: string, at: number) =>
  Effect.gen(function*() {
    const claims = yield* (yield* AccessTokens).verify(accessToken)
    const found = yield* (yield* UsersRepo).authenticate(claims.userId, claims.sessionId, DateTime.makeUnsafe(at))
    return Option.getOrThrow(found).sessionLive
  })

layer(
  authServicesLayer({
    env: { AUTH_REFRESH_REUSE_GRACE: "10 seconds", REFRESH_TOKEN_TTL: "7 days", ACCESS_TOKEN_TTL: "15 minutes" }
  }),
  { excludeTestServices: true }
)("Sessions", (it) => {
  it.effect("the old token returns the same pair within the grace window, and is a reuse after it (TestClock)", () =>
    onTestClock(Effect.gen(function*() {
      const sessions = yield* Sessions
      const started = yield* sessions.start(yield* newUser, noClient)
      yield* TestClock.adjust("1 minute")
      const rotated = yield* sessions.refresh(started.refreshToken)
      assert.isString(rotated.refreshToken)

      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(yield* sessions.refresh(started.refreshToken), rotated, "the last instant of the grace")

      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* refusal(started.refreshToken), "Invalid or expired refresh token")
      assert.strictEqual(
        yield* refusal(rotated.refreshToken!),
        "Invalid or expired refresh token",
        "the reuse revoked the whole session"
      )
    })))

  it.effect("a refresh token is refused from its session's expiry on; rotation does not extend it (TestClock)", () =>
    onTestClock(Effect.gen(function*() {
      const sessions = yield* Sessions
      const started = yield* sessions.start(yield* newUser, noClient)
      yield* TestClock.adjust("6 days")
      const rotated = yield* sessions.refresh(started.refreshToken)
      yield* TestClock.adjust("1 day")
      assert.strictEqual(yield* refusal(rotated.refreshToken!), "Invalid or expired refresh token")
    })))

  it.effect("a never-rotated refresh token expires too (TestClock)", () =>
    onTestClock(Effect.gen(function*() {
      const sessions = yield* Sessions
      const started = yield* sessions.start(yield* newUser, noClient)
      yield* TestClock.adjust("7 days")
      assert.strictEqual(yield* refusal(started.refreshToken), "Invalid or expired refresh token")
    })))

  it.effect("a session is live for the Bearer check until its expiry, and listed until then (TestClock)", () =>
    onTestClock(Effect.gen(function*() {
      const sessions = yield* Sessions
      const user = yield* newUser
      const started = yield* sessions.start(user, noClient)
      const expiry = testEpoch + 7 * 24 * 3_600_000
      assert.isTrue(yield* sessionLiveAt(started.accessToken, expiry - 1))
      assert.isFalse(yield* sessionLiveAt(started.accessToken, expiry))

      const [listed] = yield* sessions.list(user.id)
      assert.strictEqual(DateTime.toEpochMillis(listed!.createdAt), testEpoch)
      assert.strictEqual(DateTime.toEpochMillis(listed!.expiresAt), expiry)
      yield* TestClock.setTime(expiry)
      assert.deepStrictEqual(yield* sessions.list(user.id), [])
    })))

  it.effect("a revoked session is not live, and another user's session is never theirs", () =>
    onTestClock(Effect.gen(function*() {
      const sessions = yield* Sessions
      const users = yield* UsersRepo
      const tokens = yield* AccessTokens
      const user = yield* newUser
      const other = yield* newUser
      const started = yield* sessions.start(user, noClient)
      const { sessionId } = yield* tokens.verify(started.accessToken)
      const foreign = yield* users.authenticate(other.id, sessionId, yield* DateTime.now)
      assert.isFalse(Option.getOrThrow(foreign).sessionLive)
      yield* sessions.revoke(user.id, sessionId!)
      assert.isFalse(yield* sessionLiveAt(started.accessToken, testEpoch))
      assert.strictEqual((yield* Effect.flip(sessions.revoke(user.id, sessionId!)))._tag, "SessionNotFound")
    })))
})
