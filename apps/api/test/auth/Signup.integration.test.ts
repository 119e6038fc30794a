/**
 * POST /auth/signup, /auth/signup/verify and /auth/signup/resend at the HTTP boundary.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call, latestCode, password, randomIp, signedUpUser, uniqueEmail } from "./support.ts"

const usersWithEmail = (email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<
      { readonly emailVerified: boolean; readonly provisionedAt: Date | null; readonly passwordHash: string }
    >`
      SELECT email_verified, provisioned_at, password_hash FROM users WHERE email = ${email}`
  })

layer(authTestLayer(), { excludeTestServices: true })("sign-up", (it) => {
  describe("POST /auth/signup", () => {
    it.effect("creates an unverified account, stores an Argon2id hash and emails a code", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("new")
        const response = yield* call("POST", "/auth/signup", { body: { email, password, full_name: "New User" } })
        assert.strictEqual(response.status, 201)
        assert.deepStrictEqual(response.json, {
          message: "Verification code sent to your email",
          email,
          requires_verification: true
        })
        const [user] = yield* usersWithEmail(email)
        assert.isFalse(user!.emailVerified)
        assert.match(user!.passwordHash, /^\$argon2id\$/)
        assert.notInclude(user!.passwordHash, password)
        assert.match(yield* latestCode(email, "email_verification"), /^\d{6}$/)
        const sql = yield* SqlClient.SqlClient
        const [message] = yield* sql<{ readonly code: string }>`
          SELECT payload->>'otp_code' AS code FROM outbox_messages WHERE payload->>'email' = ${email}`
        assert.match(message!.code, /^sealed:v1:/, "the code never travels in clear")
      }))

    it.effect("normalises the whole email to lower case, so case variants are one account", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("Mixed")
        const upper = email.replace("mixed", "MiXeD").replace("example.com", "EXAMPLE.COM")
        const first = yield* call("POST", "/auth/signup", { body: { email: `  ${upper} `, password } })
        assert.strictEqual(first.status, 201)
        assert.strictEqual((first.json as { email: string }).email, email)
        const second = yield* call("POST", "/auth/signup", { body: { email, password } })
        assert.strictEqual(second.status, 409)
        assert.deepStrictEqual(second.json, { detail: "A user with this email already exists" })
      }))

    it.effect("rejects invalid input with 422 and the field's location", () =>
      Effect.gen(function*() {
        const cases: ReadonlyArray<readonly [unknown, ReadonlyArray<string>]> = [
          [{ email: "notanemail", password }, ["body", "email"]],
          [{ email: "a@b.test", password }, ["body", "email"]],
          [{ email: uniqueEmail(), password: "weak" }, ["body", "password"]],
          [{ email: uniqueEmail(), password: "alllowercase1" }, ["body", "password"]],
          [{ email: uniqueEmail(), password: "NoDigitsHere" }, ["body", "password"]],
          [{ password }, ["body", "email"]],
          [{ email: uniqueEmail(), password, full_name: "" }, ["body", "full_name"]]
        ]
        for (const [body, loc] of cases) {
          const response = yield* call("POST", "/auth/signup", { body })
          assert.strictEqual(response.status, 422, JSON.stringify(body))
          const issues = (response.json as { detail: ReadonlyArray<{ loc: ReadonlyArray<string> }> }).detail
          assert.deepInclude(issues.map((issue) => issue.loc), loc)
        }
      }))

    it.effect("20 simultaneous sign-ups with one email make exactly one user", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("race")
        const responses = yield* Effect.forEach(
          Array.from({ length: 20 }),
          () => call("POST", "/auth/signup", { body: { email, password } }),
          { concurrency: "unbounded" }
        )
        const statuses = responses.map((response) => response.status).toSorted()
        assert.strictEqual(statuses.filter((status) => status === 201).length, 1)
        assert.isTrue(statuses.every((status) => status === 201 || status === 409))
        assert.strictEqual((yield* usersWithEmail(email)).length, 1)
      }))

    it.effect("limits sign-ups per client address (5 an hour)", () =>
      Effect.gen(function*() {
        const ip = randomIp()
        for (let n = 0; n < 5; n++) {
          const ok = yield* call("POST", "/auth/signup", { ip, body: { email: uniqueEmail("limited"), password } })
          assert.strictEqual(ok.status, 201)
        }
        const denied = yield* call("POST", "/auth/signup", { ip, body: { email: uniqueEmail("limited"), password } })
        assert.strictEqual(denied.status, 429)
        assert.match((denied.json as { detail: string }).detail, /^Rate limit exceeded\. Try again in \d+ seconds\.$/)
        assert.isAtLeast(Number(denied.headers["retry-after"]), 1)
      }))
  })

  describe("POST /auth/signup/verify", () => {
    it.effect("verifies with the emailed code, signs in and provisions exactly once", () =>
      Effect.gen(function*() {
        const signedIn = yield* signedUpUser()
        assert.isString(signedIn.accessToken)
        assert.strictEqual(signedIn.refreshToken.length, 64)
        const [user] = yield* usersWithEmail(signedIn.email)
        assert.isTrue(user!.emailVerified)
        assert.isNotNull(user!.provisionedAt)
        const again = yield* call("POST", "/auth/signup/verify", {
          body: { email: signedIn.email, otp_code: yield* latestCode(signedIn.email, "email_verification") }
        })
        assert.strictEqual(again.status, 400, "a code is single-use")
        const [after] = yield* usersWithEmail(signedIn.email)
        assert.strictEqual(after!.provisionedAt!.getTime(), user!.provisionedAt!.getTime())
      }))

    it.effect("answers a wrong code, no code and a malformed code", () =>
      Effect.gen(function*() {
        const email = uniqueEmail()
        assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email, password } })).status, 201)
        const code = yield* latestCode(email, "email_verification")
        const wrong = code === "000000" ? "111111" : "000000"
        const response = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: wrong } })
        assert.strictEqual(response.status, 400)
        assert.deepStrictEqual(response.json, { detail: "Invalid verification code" })
        const unknown = yield* call("POST", "/auth/signup/verify", {
          body: { email: uniqueEmail(), otp_code: "123456" }
        })
        assert.strictEqual(unknown.status, 400)
        const malformed = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: "12ab56" } })
        assert.strictEqual(malformed.status, 422)
        const ok = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code } })
        assert.strictEqual(ok.status, 200, "a wrong guess does not burn the code")
      }))

    it.effect("refuses the right code once it has expired, and a new code works", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("expired")
        assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email, password } })).status, 201)
        const code = yield* latestCode(email, "email_verification")
        const sql = yield* SqlClient.SqlClient
        yield* sql`UPDATE otp_tokens SET expires_at = now() - interval '1 second' WHERE email = ${email}`
        const expired = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code } })
        assert.strictEqual(expired.status, 400)
        assert.deepStrictEqual(expired.json, { detail: "Invalid verification code" })
        assert.strictEqual((yield* call("POST", "/auth/signup/resend", { body: { email } })).status, 200)
        const fresh = yield* call("POST", "/auth/signup/verify", {
          body: { email, otp_code: yield* latestCode(email, "email_verification") }
        })
        assert.strictEqual(fresh.status, 200)
      }))

    it.effect("locks the code after OTP_MAX_ATTEMPTS wrong guesses, even concurrent ones", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("guess")
        assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email, password } })).status, 201)
        const code = yield* latestCode(email, "email_verification")
        const wrong = code === "999999" ? "888888" : "999999"
        const guesses = yield* Effect.forEach(
          Array.from({ length: 8 }),
          () => call("POST", "/auth/signup/verify", { body: { email, otp_code: wrong } }),
          { concurrency: "unbounded" }
        )
        const statuses = guesses.map((response) => response.status)
        assert.strictEqual(statuses.filter((status) => status === 400).length, 5)
        assert.strictEqual(statuses.filter((status) => status === 429).length, 3)
        const right = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code } })
        assert.strictEqual(right.status, 429)
        assert.deepStrictEqual(right.json, { detail: "Too many verification attempts. Please request a new code." })
      }))
  })

  describe("POST /auth/signup/resend", () => {
    it.effect("answers the same for an unverified, a verified and an unknown email", () =>
      Effect.gen(function*() {
        const unverified = uniqueEmail()
        assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email: unverified, password } })).status, 201)
        const verified = (yield* signedUpUser()).email
        const answers = yield* Effect.forEach([unverified, verified, uniqueEmail("nobody")], (email) =>
          call("POST", "/auth/signup/resend", { body: { email } }))
        for (const answer of answers) {
          assert.strictEqual(answer.status, 200)
          assert.deepStrictEqual(answer.json, {
            message: "If the email exists, a verification code has been sent",
            success: true
          })
        }
      }))

    it.effect("a new code replaces the previous one", () =>
      Effect.gen(function*() {
        const email = uniqueEmail()
        assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email, password } })).status, 201)
        const first = yield* latestCode(email, "email_verification")
        assert.strictEqual((yield* call("POST", "/auth/signup/resend", { body: { email } })).status, 200)
        const second = yield* latestCode(email, "email_verification")
        if (first !== second) {
          const old = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: first } })
          assert.strictEqual(old.status, 400)
        }
        const fresh = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: second } })
        assert.strictEqual(fresh.status, 200)
      }))

    it.effect("is limited per email (3 an hour)", () =>
      Effect.gen(function*() {
        const email = uniqueEmail("resend")
        for (let n = 0; n < 3; n++) {
          assert.strictEqual((yield* call("POST", "/auth/signup/resend", { body: { email } })).status, 200)
        }
        const denied = yield* call("POST", "/auth/signup/resend", { body: { email: email.toUpperCase() } })
        assert.strictEqual(denied.status, 429)
      }))
  })
})

layer(authTestLayer({ env: { OTP_LENGTH: "8" } }), { excludeTestServices: true })("OTP_LENGTH", (it) => {
  it.effect("drives both the codes sent and the codes accepted", () =>
    Effect.gen(function*() {
      const email = uniqueEmail("long-code")
      assert.strictEqual((yield* call("POST", "/auth/signup", { body: { email, password } })).status, 201)
      const code = yield* latestCode(email, "email_verification")
      assert.match(code, /^\d{8}$/)
      const short = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code.slice(0, 6) } })
      assert.strictEqual(short.status, 400)
      const ok = yield* call("POST", "/auth/signup/verify", { body: { email, otp_code: code } })
      assert.strictEqual(ok.status, 200)
    }))
})
