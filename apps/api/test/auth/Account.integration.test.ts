/**
 * Password reset and change, the profile (/auth/me), account deletion, avatar upload
 * credentials, and the authentication cases of every protected `/auth` endpoint.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { createHash } from "node:crypto"
import { expectAuthenticationRequired } from "./authCases.ts"
import { authTestLayer, call, latestCode, password, signedUpUser, signIn, uniqueEmail } from "./support.ts"

const emailsQueued = (queue: string, email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql`SELECT 1 FROM outbox_messages WHERE queue = ${queue} AND payload->>'email' = ${email}`
  })

const cloudinary = {
  CLOUDINARY_CLOUD_NAME: "cuebx-test",
  CLOUDINARY_API_KEY: "123456789012345",
  CLOUDINARY_API_SECRET: "cloudinary-secret-for-tests"
}

layer(authTestLayer({ env: cloudinary }), { excludeTestServices: true })("account", (it) => {
  describe("password reset", () => {
    it.effect("answers the same for every email, and only existing accounts get a code", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const nobody = uniqueEmail("nobody")
        for (const email of [user.email, nobody]) {
          const response = yield* call("POST", "/auth/password/reset", { body: { email } })
          assert.strictEqual(response.status, 200)
          assert.deepStrictEqual(response.json, {
            message: "If the email exists and has a password, a reset code has been sent",
            success: true
          })
        }
        assert.strictEqual((yield* emailsQueued("otp_emails", nobody)).length, 0)
      }))

    it.effect("a valid code sets the new password, signs out everywhere and emails a confirmation", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        yield* call("POST", "/auth/password/reset", { body: { email: user.email } })
        const code = yield* latestCode(user.email, "password_reset")
        const newPassword = "Brand-New-Pass-2"
        const confirm = yield* call("POST", "/auth/password/reset/confirm", {
          body: { email: user.email, otp_code: code, new_password: newPassword }
        })
        assert.strictEqual(confirm.status, 200)
        assert.deepStrictEqual(confirm.json, { message: "Password has been reset successfully", success: true })
        assert.strictEqual((yield* call("GET", "/auth/me", { token: user.accessToken })).status, 401)
        assert.strictEqual((yield* call("POST", "/auth/signin", { body: { email: user.email, password } })).status, 401)
        yield* signIn(user.email, newPassword)
        assert.strictEqual((yield* emailsQueued("password_reset_confirmation_emails", user.email)).length, 1)
      }))

    it.effect("a wrong code is 400 and a weak new password 422", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const wrong = yield* call("POST", "/auth/password/reset/confirm", {
          body: { email: user.email, otp_code: "000000", new_password: "Brand-New-Pass-2" }
        })
        assert.strictEqual(wrong.status, 400)
        const weak = yield* call("POST", "/auth/password/reset/confirm", {
          body: { email: user.email, otp_code: "000000", new_password: "short" }
        })
        assert.strictEqual(weak.status, 422)
      }))
  })

  describe("POST /auth/password/change", () => {
    it.effect("keeps this session, signs out the others, and emails the user", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const laptop = yield* signIn(user.email)
        const response = yield* call("POST", "/auth/password/change", {
          token: user.accessToken,
          body: { current_password: password, new_password: "Changed-Pass-3" }
        })
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(response.json, {
          message: "Password changed successfully. You have been signed out from other devices.",
          success: true
        })
        assert.strictEqual((yield* call("GET", "/auth/me", { token: user.accessToken })).status, 200)
        assert.strictEqual((yield* call("GET", "/auth/me", { token: laptop.accessToken })).status, 401)
        assert.strictEqual((yield* emailsQueued("password_reset_confirmation_emails", user.email)).length, 1)
      }))

    it.effect("a wrong current password is 400 (not 401, which would sign clients out)", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const response = yield* call("POST", "/auth/password/change", {
          token: user.accessToken,
          body: { current_password: "Not-It-123", new_password: "Changed-Pass-3" }
        })
        assert.strictEqual(response.status, 400)
        assert.deepStrictEqual(response.json, { detail: "Current password is incorrect" })
      }))

    it.effect("answers 401 before validating the body", () =>
      Effect.gen(function*() {
        const response = yield* call("POST", "/auth/password/change", { body: { nonsense: true } })
        assert.strictEqual(response.status, 401)
      }))
  })

  describe("/auth/me", () => {
    it.effect("GET answers the profile in the reference's shape", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser(uniqueEmail("profile"), "Grace Hopper")
        const response = yield* call("GET", "/auth/me", { token: user.accessToken })
        assert.strictEqual(response.status, 200)
        const profile = response.json as Record<string, unknown>
        assert.strictEqual(profile["email"], user.email)
        assert.strictEqual(profile["full_name"], "Grace Hopper")
        assert.strictEqual(profile["email_verified"], true)
        assert.strictEqual(profile["has_password"], true)
        assert.deepStrictEqual(profile["oauth_providers"], [])
        assert.hasAllKeys(profile, [
          "id",
          "email",
          "email_verified",
          "full_name",
          "avatar_url",
          "is_active",
          "created_at",
          "updated_at",
          "has_password",
          "oauth_providers"
        ])
      }))

    it.effect("PATCH changes given fields, clears null ones, keeps absent ones", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const renamed = yield* call("PATCH", "/auth/me", {
          token: user.accessToken,
          body: { full_name: "Updated Name" }
        })
        assert.strictEqual((renamed.json as { full_name: string }).full_name, "Updated Name")
        const avatar = "https://res.cloudinary.com/cuebx-test/image/upload/v1/avatars/a.png"
        const withAvatar = yield* call("PATCH", "/auth/me", { token: user.accessToken, body: { avatar_url: avatar } })
        assert.strictEqual((withAvatar.json as { avatar_url: string }).avatar_url, avatar)
        assert.strictEqual((withAvatar.json as { full_name: string }).full_name, "Updated Name")
        const cleared = yield* call("PATCH", "/auth/me", { token: user.accessToken, body: { full_name: null } })
        assert.isNull((cleared.json as { full_name: string | null }).full_name)
        const empty = yield* call("PATCH", "/auth/me", { token: user.accessToken, body: {} })
        assert.strictEqual(empty.status, 200)
      }))

    it.effect("PATCH refuses an avatar outside CueBX's Cloudinary and invalid names", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const foreign = yield* call("PATCH", "/auth/me", {
          token: user.accessToken,
          body: { avatar_url: "https://evil.example.com/a.png" }
        })
        assert.strictEqual(foreign.status, 400)
        const blank = yield* call("PATCH", "/auth/me", { token: user.accessToken, body: { full_name: "" } })
        assert.strictEqual(blank.status, 422)
      }))

    it.effect("DELETE signs out everywhere, the account is gone, and the email is free again", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const response = yield* call("DELETE", "/auth/me", { token: user.accessToken })
        assert.deepStrictEqual(response.json, { message: "Account has been deleted", success: true })
        assert.strictEqual(
          (yield* call("POST", "/auth/token/refresh", { body: { refresh_token: user.refreshToken } })).status,
          401
        )
        const signin = yield* call("POST", "/auth/signin", { body: { email: user.email, password } })
        assert.strictEqual(signin.status, 401)
        yield* call("POST", "/auth/password/reset", { body: { email: user.email } })
        const sql = yield* SqlClient.SqlClient
        const resetCodes = yield* sql`
          SELECT 1 FROM outbox_messages WHERE queue = 'otp_emails' AND payload->>'email' = ${user.email}
            AND payload->>'purpose' = 'password_reset'`
        assert.strictEqual(resetCodes.length, 0, "a deleted account gets no reset code")
        const again = yield* signedUpUser(user.email)
        assert.isString(again.accessToken)
      }))
  })

  describe("GET /auth/me/avatar/upload-credentials", () => {
    it.effect("signs Cloudinary upload parameters", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const response = yield* call("GET", "/auth/me/avatar/upload-credentials", { token: user.accessToken })
        assert.strictEqual(response.status, 200)
        const credentials = response.json as {
          timestamp: number
          signature: string
          upload_url: string
          folder: string
        }
        const expected = createHash("sha1")
          .update(`folder=avatars&timestamp=${credentials.timestamp}${cloudinary.CLOUDINARY_API_SECRET}`)
          .digest("hex")
        assert.strictEqual(credentials.signature, expected)
        assert.strictEqual(credentials.upload_url, "https://api.cloudinary.com/v1_1/cuebx-test/image/upload")
        assert.strictEqual(credentials.folder, "avatars")
      }))
  })

  describe("authentication of every protected endpoint", () => {
    const endpoints = [
      { method: "POST", path: "/auth/signout/all" },
      {
        method: "POST",
        path: "/auth/password/change",
        body: { current_password: "x", new_password: "Changed-Pass-3" }
      },
      { method: "GET", path: "/auth/me" },
      { method: "PATCH", path: "/auth/me", body: {} },
      { method: "DELETE", path: "/auth/me" },
      { method: "GET", path: "/auth/me/avatar/upload-credentials" },
      { method: "POST", path: "/auth/sessions", body: { refresh_token: "x" } },
      { method: "GET", path: "/auth/sessions" },
      { method: "DELETE", path: `/auth/sessions/${crypto.randomUUID()}` }
    ]
    for (const endpoint of endpoints) {
      it.effect(`${endpoint.method} ${endpoint.path}`, () => expectAuthenticationRequired(endpoint))
    }
  })
})

layer(authTestLayer(), { excludeTestServices: true })("account without Cloudinary", (it) => {
  it.effect("upload credentials answer 503 when Cloudinary is not configured", () =>
    Effect.gen(function*() {
      const user = yield* signedUpUser()
      const response = yield* call("GET", "/auth/me/avatar/upload-credentials", { token: user.accessToken })
      assert.strictEqual(response.status, 503)
      assert.deepStrictEqual(response.json, { detail: "Avatar uploads are not configured" })
    }))
})
