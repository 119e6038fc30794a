/**
 * POST /auth/signin and the passwordless sign-in (/auth/signin/code/request, /auth/signin/code).
 */
import { assert, describe, layer } from "@effect/vitest"
import bcrypt from "bcryptjs"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call, latestCode, password, randomIp, signedUpUser, signIn, uniqueEmail } from "./support.ts"

const passwordHashOf = (email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<
      { readonly passwordHash: string | null }
    >`SELECT password_hash FROM users WHERE email = ${email}`
    return row?.passwordHash ?? null
  })

layer(authTestLayer(), { excludeTestServices: true })("sign-in", (it) => {
  describe("POST /auth/signin", () => {
    it.effect("signs in a verified user with the right password", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const response = yield* call("POST", "/auth/signin", { body: { email: user.email, password } })
        assert.strictEqual(response.status, 200)
        const body = response.json as Record<string, unknown>
        assert.deepStrictEqual(Object.keys(body).toSorted(), [
          "access_token",
          "expires_in",
          "refresh_token",
          "token_type"
        ])
        assert.strictEqual(body["token_type"], "bearer")
        assert.strictEqual(body["expires_in"], 900)
      }))

    it.effect("answers a wrong password, an unknown email and an OAuth-only account alike", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const sql = yield* SqlClient.SqlClient
        const oauthOnly = uniqueEmail("oauth")
        yield* sql`INSERT INTO users (email, email_verified) VALUES (${oauthOnly}, true)`
        for (
          const body of [
            { email: user.email, password: "Wrong-Password-1" },
            { email: uniqueEmail("nobody"), password },
            { email: oauthOnly, password }
          ]
        ) {
          const response = yield* call("POST", "/auth/signin", { body })
          assert.strictEqual(response.status, 401)
          assert.deepStrictEqual(response.json, { detail: "Invalid email or password" })
          assert.strictEqual(response.headers["www-authenticate"], "Bearer")
        }
      }))

    it.effect("refuses an unverified account with 403 and sends it a fresh code", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("unverified")
        assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email, password } })).status, 201)
        const first = yield* latestCode(email, "email_verification")
        const response = yield* call("POST", "/auth/signin", { body: { email, password } })
        assert.strictEqual(response.status, 403)
        assert.deepStrictEqual(response.json, { detail: "Email not verified" })
        const sql = yield* SqlClient.SqlClient
        const [count] = yield* sql<{ readonly n: bigint }>`
          SELECT count(*) AS n FROM outbox_messages WHERE queue = 'otp_emails' AND payload->>'email' = ${email}`
        assert.strictEqual(count!.n, 2n)
        assert.notStrictEqual(yield* latestCode(email, "email_verification"), undefined)
        assert.isString(first)
      }))

    it.effect("refuses a deactivated account", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const sql = yield* SqlClient.SqlClient
        yield* sql`UPDATE users SET is_active = false WHERE email = ${user.email}`
        const response = yield* call("POST", "/auth/signin", { body: { email: user.email, password } })
        assert.strictEqual(response.status, 401)
        assert.deepStrictEqual(response.json, { detail: "This account has been deactivated" })
        const me = yield* call("GET", "/auth/me", { token: user.accessToken })
        assert.strictEqual(me.status, 403)
        assert.deepStrictEqual(me.json, { detail: "User account is deactivated" })
      }))

    it.effect("remember_me makes the session last 30 days instead of 7", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const short = yield* signIn(user.email)
        const long = yield* signIn(user.email, password, { remember_me: true })
        const sessions = yield* call("GET", "/auth/sessions", { token: long.accessToken })
        const byId = (sessions.json as {
          sessions: ReadonlyArray<{ is_current: boolean; expires_at: string; created_at: string }>
        })
          .sessions
        const current = byId.find((session) => session.is_current)!
        const days = (Date.parse(current.expires_at) - Date.parse(current.created_at)) / 86_400_000
        assert.approximately(days, 30, 0.01)
        assert.isString(short.accessToken)
      }))

    it.effect("verifies and upgrades a bcrypt hash carried over from the Python service", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("legacy")
        const sql = yield* SqlClient.SqlClient
        const legacy = yield* Effect.promise(() => bcrypt.hash(password, 4))
        yield* sql`INSERT INTO users (email, email_verified, password_hash) VALUES (${email}, true, ${legacy})`
        yield* signIn(email)
        assert.match((yield* passwordHashOf(email))!, /^\$argon2id\$/)
        yield* signIn(email)
      }))

    it.effect("limits sign-in attempts per client address (10 a minute)", () =>
      Effect.gen(function*() {
        const ip = randomIp()
        for (let n = 0; n < 10; n++) {
          const response = yield* call("POST", "/auth/signin", { ip, body: { email: uniqueEmail(), password } })
          assert.strictEqual(response.status, 401)
        }
        const denied = yield* call("POST", "/auth/signin", { ip, body: { email: uniqueEmail(), password } })
        assert.strictEqual(denied.status, 429)
        assert.isDefined(denied.headers["retry-after"])
      }))
  })

  describe("passwordless sign-in", () => {
    it.effect("emails a code and signs in with it, once", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const request = yield* call("POST", "/auth/signin/code/request", { body: { email: user.email } })
        assert.strictEqual(request.status, 200)
        assert.deepStrictEqual(request.json, {
          message: "If the email exists, a sign-in code has been sent",
          success: true
        })
        const code = yield* latestCode(user.email, "sign_in")
        const signedIn = yield* call("POST", "/auth/signin/code", { body: { email: user.email, otp_code: code } })
        assert.strictEqual(signedIn.status, 200)
        assert.isString((signedIn.json as { refresh_token: string }).refresh_token)
        const again = yield* call("POST", "/auth/signin/code", { body: { email: user.email, otp_code: code } })
        assert.strictEqual(again.status, 400)
      }))

    it.effect("answers the same for an unknown email and sends nothing", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("ghost")
        const request = yield* call("POST", "/auth/signin/code/request", { body: { email } })
        assert.strictEqual(request.status, 200)
        assert.deepStrictEqual(request.json, {
          message: "If the email exists, a sign-in code has been sent",
          success: true
        })
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql`SELECT 1 FROM outbox_messages WHERE payload->>'email' = ${email}`
        assert.strictEqual(rows.length, 0)
      }))

    it.effect("a sign-in code proves the address: an unverified account becomes verified", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("codeverify")
        assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email, password } })).status, 201)
        yield* call("POST", "/auth/signin/code/request", { body: { email } })
        const code = yield* latestCode(email, "sign_in")
        const signedIn = yield* call("POST", "/auth/signin/code", { body: { email, otp_code: code } })
        assert.strictEqual(signedIn.status, 200)
        const me = yield* call("GET", "/auth/me", { token: (signedIn.json as { access_token: string }).access_token })
        assert.isTrue((me.json as { email_verified: boolean }).email_verified)
      }))

    it.effect("a code of another purpose does not sign in", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        yield* call("POST", "/auth/password/reset", { body: { email: user.email } })
        const resetCode = yield* latestCode(user.email, "password_reset")
        const response = yield* call("POST", "/auth/signin/code", { body: { email: user.email, otp_code: resetCode } })
        assert.strictEqual(response.status, 400)
        assert.deepStrictEqual(response.json, { detail: "Invalid verification code" })
      }))
  })
})
