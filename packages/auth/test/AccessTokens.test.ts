import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { SignJWT } from "jose"
import { AccessTokens } from "../src/AccessTokens.ts"

const secret = "access-token-test-secret-0123456789"
const key = new TextEncoder().encode(secret)
const now = Date.parse("2031-05-01T08:00:00Z")

const tokens = AccessTokens.layer.pipe(
  Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
    JWT_SECRET_KEY: secret,
    JWT_ISSUER: "cuebx-issuer",
    JWT_AUDIENCE: "cuebx-audience"
  })))
)

/** A token signed with the right key; `null` leaves the claim out. */
const signed = (claims: { readonly issuer?: string | null; readonly audience?: string | null } = {}) =>
  Effect.promise(() => {
    const jwt = new SignJWT({ email: "ada@example.com", type: "access", sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(crypto.randomUUID())
      .setIssuedAt(now / 1000)
      .setExpirationTime(now / 1000 + 600)
    const issuer = claims.issuer === undefined ? "cuebx-issuer" : claims.issuer
    const audience = claims.audience === undefined ? "cuebx-audience" : claims.audience
    if (issuer !== null) jwt.setIssuer(issuer)
    if (audience !== null) jwt.setAudience(audience)
    return jwt.sign(key)
  })

const refusal = (token: string) =>
  Effect.gen(function*() {
    const accessTokens = yield* AccessTokens
    return yield* Effect.flip(accessTokens.verify(token))
  })

describe("AccessTokens", () => {
  it.effect("issues tokens that verify, with the session they belong to", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const accessTokens = yield* AccessTokens
      const userId = crypto.randomUUID()
      const sessionId = crypto.randomUUID()
      const token = yield* accessTokens.issue({ userId, email: "ada@example.com", sessionId })
      assert.deepStrictEqual(yield* accessTokens.verify(token), { userId, email: "ada@example.com", sessionId })
      assert.isObject(yield* accessTokens.verify(yield* signed()))
    }).pipe(Effect.provide(tokens)))

  it.effect("refuses a well-signed token for another issuer or audience, or without them", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      for (
        const claims of [
          { issuer: "someone-else" },
          { audience: "another-service" },
          { issuer: null },
          { audience: null },
          { issuer: null, audience: null }
        ]
      ) {
        const error = yield* refusal(yield* signed(claims))
        assert.strictEqual(error.detail, "Invalid or expired access token", JSON.stringify(claims))
      }
    }).pipe(Effect.provide(tokens)))

  it.effect("refuses a token from its expiry on, on the Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const accessTokens = yield* AccessTokens
      const token = yield* accessTokens.issue({ userId: crypto.randomUUID(), email: "a@b.example", sessionId: null })
      yield* TestClock.adjust("14 minutes")
      assert.isNull((yield* accessTokens.verify(token)).sessionId)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* refusal(token)).detail, "Invalid or expired access token")
    }).pipe(Effect.provide(tokens)))

  it.effect("refuses a session id that is not a UUID", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const token = yield* Effect.promise(() =>
        new SignJWT({ type: "access", sid: "not-a-session" })
          .setProtectedHeader({ alg: "HS256" })
          .setSubject(crypto.randomUUID())
          .setIssuedAt(now / 1000)
          .setExpirationTime(now / 1000 + 600)
          .setIssuer("cuebx-issuer")
          .setAudience("cuebx-audience")
          .sign(key)
      )
      assert.strictEqual((yield* refusal(token)).detail, "Invalid access token")
    }).pipe(Effect.provide(tokens)))
})
