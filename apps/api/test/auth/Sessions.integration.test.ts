/**
 * Tokens and sessions: refresh rotation with its grace period and reuse detection, expiry of
 * refresh tokens and sessions, sign-out, sign-out everywhere, listing and revoking sessions, and
 * the reference's non-rotating mode. Time is moved by backdating rows (the API decides on its own
 * clock, so a row stamped earlier is exactly a row seen later), never by sleeping.
 */
import { hashRefreshToken } from "@cuebx/auth"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call, signedUpUser, signIn } from "./support.ts"

const refresh = (refreshToken: string) => call("POST", "/auth/token/refresh", { body: { refresh_token: refreshToken } })

/** Moves a refresh token's rotation `seconds` into the past. */
const rotatedAgo = (refreshToken: string, seconds: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      UPDATE refresh_tokens SET rotated_at = rotated_at - make_interval(secs => ${seconds})
      WHERE token_hash = ${hashRefreshToken(refreshToken)}`
  })

/** Makes every session of the user (and their refresh tokens) expire one second ago. */
const expireSessionsOf = (email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      UPDATE user_sessions SET expires_at = now() - interval '1 second'
      WHERE user_id = (SELECT id FROM users WHERE email = ${email} AND NOT is_deleted)`
  })

interface Refreshed {
  readonly access_token: string
  readonly refresh_token?: string
  readonly token_type: string
  readonly expires_in: number
}

layer(authTestLayer({ env: { AUTH_REFRESH_REUSE_GRACE: "1 second" } }), { excludeTestServices: true })(
  "sessions",
  (it) => {
    describe("POST /auth/token/refresh", () => {
      it.effect("rotates: a new pair, and the old refresh token becomes a reuse", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const first = yield* refresh(user.refreshToken)
          assert.strictEqual(first.status, 200)
          const body = first.json as Refreshed
          assert.strictEqual(body.token_type, "bearer")
          assert.isString(body.refresh_token)
          assert.notStrictEqual(body.refresh_token, user.refreshToken)
          const next = yield* refresh(body.refresh_token!)
          assert.strictEqual(next.status, 200)
        }))

      it.effect("presenting the old token within the grace returns the same pair (two tabs)", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const [a, b] = yield* Effect.all([refresh(user.refreshToken), refresh(user.refreshToken)], { concurrency: 2 })
          assert.strictEqual(a.status, 200)
          assert.strictEqual(b.status, 200)
          assert.deepStrictEqual(a.json, b.json, "concurrent refreshes with one token yield one new pair")
        }))

      it.effect("a reuse after the grace revokes the whole session (RFC 9700)", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const rotated = (yield* refresh(user.refreshToken)).json as Refreshed
          yield* rotatedAgo(user.refreshToken, 1.2)
          const reuse = yield* refresh(user.refreshToken)
          assert.strictEqual(reuse.status, 401)
          assert.deepStrictEqual(reuse.json, { detail: "Invalid or expired refresh token" })
          const descendant = yield* refresh(rotated.refresh_token!)
          assert.strictEqual(descendant.status, 401, "the stolen family is dead too")
          const me = yield* call("GET", "/auth/me", { token: rotated.access_token })
          assert.strictEqual(me.status, 401, "and so are its access tokens")
        }))

      it.effect("within the grace (1 second here) the old token still returns the rotated pair", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const rotated = yield* refresh(user.refreshToken)
          yield* rotatedAgo(user.refreshToken, 0.8)
          const again = yield* refresh(user.refreshToken)
          assert.strictEqual(again.status, 200)
          assert.deepStrictEqual(again.json, rotated.json)
        }))

      it.effect("an expired refresh token is refused, rotated or not", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const rotated = (yield* refresh(user.refreshToken)).json as Refreshed
          const sql = yield* SqlClient.SqlClient
          yield* sql`
            UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
            WHERE token_hash = ${hashRefreshToken(rotated.refresh_token!)}`
          const expired = yield* refresh(rotated.refresh_token!)
          assert.strictEqual(expired.status, 401)
          assert.deepStrictEqual(expired.json, { detail: "Invalid or expired refresh token" })
          assert.strictEqual(expired.headers["www-authenticate"], "Bearer")

          const fresh = yield* signedUpUser()
          yield* sql`
            UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
            WHERE token_hash = ${hashRefreshToken(fresh.refreshToken)}`
          const never = yield* refresh(fresh.refreshToken)
          assert.strictEqual(never.status, 401)
          assert.deepStrictEqual(never.json, { detail: "Invalid or expired refresh token" })
        }))

      it.effect("refuses unknown tokens and a missing body", () =>
        Effect.gen(function*() {
          const unknown = yield* refresh("invalid_token")
          assert.strictEqual(unknown.status, 401)
          assert.deepStrictEqual(unknown.json, { detail: "Invalid or expired refresh token" })
          const missing = yield* call("POST", "/auth/token/refresh", { body: {} })
          assert.strictEqual(missing.status, 422)
        }))
    })

    describe("sign-out", () => {
      it.effect("POST /auth/signout revokes the session of a token, once", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const out = yield* call("POST", "/auth/signout", { body: { refresh_token: user.refreshToken } })
          assert.deepStrictEqual(out.json, { message: "Successfully signed out", success: true })
          const again = yield* call("POST", "/auth/signout", { body: { refresh_token: user.refreshToken } })
          assert.deepStrictEqual(again.json, { message: "Token not found or already revoked", success: false })
          assert.strictEqual((yield* refresh(user.refreshToken)).status, 401)
          assert.strictEqual((yield* call("GET", "/auth/me", { token: user.accessToken })).status, 401)
        }))

      it.effect("POST /auth/signout/all revokes every live session and counts them", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const other = yield* signIn(user.email)
          const response = yield* call("POST", "/auth/signout/all", { token: user.accessToken })
          assert.strictEqual(response.status, 200)
          assert.deepStrictEqual(response.json, { message: "Signed out from 2 device(s)", success: true })
          assert.strictEqual((yield* refresh(other.refreshToken)).status, 401)
        }))
    })

    describe("session expiry", () => {
      it.effect("an unexpired access token of an expired session is refused", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          assert.strictEqual((yield* call("GET", "/auth/me", { token: user.accessToken })).status, 200)
          yield* expireSessionsOf(user.email)
          const me = yield* call("GET", "/auth/me", { token: user.accessToken })
          assert.strictEqual(me.status, 401)
          assert.deepStrictEqual(me.json, { detail: "Invalid or expired access token" })
          assert.strictEqual(me.headers["www-authenticate"], "Bearer")
        }))

      it.effect("an expired session is neither listed nor counted by sign-out everywhere", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          yield* expireSessionsOf(user.email)
          const current = yield* signIn(user.email)
          const listed = yield* call("GET", "/auth/sessions", { token: current.accessToken })
          const page = listed.json as { sessions: ReadonlyArray<{ id: string; is_current: boolean }>; total: number }
          assert.strictEqual(page.total, 1)
          assert.isTrue(page.sessions[0]!.is_current)
          const all = yield* call("POST", "/auth/signout/all", { token: current.accessToken })
          assert.deepStrictEqual(all.json, { message: "Signed out from 1 device(s)", success: true })
        }))
    })

    describe("sessions", () => {
      it.effect("lists the live sessions with the current one marked, in both forms", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const second = yield* signIn(user.email, undefined, {})
          const listed = yield* call("GET", "/auth/sessions", {
            token: second.accessToken,
            headers: { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1" }
          })
          assert.strictEqual(listed.status, 200)
          const page = listed.json as { sessions: ReadonlyArray<{ id: string; is_current: boolean }>; total: number }
          assert.strictEqual(page.total, 2)
          assert.strictEqual(page.sessions.filter((session) => session.is_current).length, 1)
          const byToken = yield* call("POST", "/auth/sessions", {
            token: second.accessToken,
            body: { refresh_token: user.refreshToken }
          })
          const current = (byToken.json as { sessions: ReadonlyArray<{ id: string; is_current: boolean }> }).sessions
            .find((session) => session.is_current)
          assert.isDefined(current)
          assert.notStrictEqual(current!.id, page.sessions.find((session) => session.is_current)!.id)
        }))

      it.effect("DELETE /auth/sessions/{id} signs one session out; another user's is 404", () =>
        Effect.gen(function*() {
          const user = yield* signedUpUser()
          const phone = yield* signIn(user.email)
          const stranger = yield* signedUpUser()
          const listed = yield* call("GET", "/auth/sessions", { token: user.accessToken })
          const phoneSession = (listed.json as { sessions: ReadonlyArray<{ id: string; is_current: boolean }> })
            .sessions
            .find((session) => !session.is_current)!
          const foreign = yield* call("DELETE", `/auth/sessions/${phoneSession.id}`, { token: stranger.accessToken })
          assert.strictEqual(foreign.status, 404)
          const revoked = yield* call("DELETE", `/auth/sessions/${phoneSession.id}`, { token: user.accessToken })
          assert.strictEqual(revoked.status, 200)
          assert.strictEqual((yield* refresh(phone.refreshToken)).status, 401)
          assert.strictEqual((yield* call("GET", "/auth/me", { token: phone.accessToken })).status, 401)
          assert.strictEqual((yield* call("GET", "/auth/me", { token: user.accessToken })).status, 200)
          const garbage = yield* call("DELETE", "/auth/sessions/not-a-session", { token: user.accessToken })
          assert.strictEqual(garbage.status, 404)
        }))
    })
  }
)

layer(authTestLayer({ env: { AUTH_REFRESH_ROTATION: "false" } }), { excludeTestServices: true })(
  "sessions without rotation",
  (it) => {
    it.effect("AUTH_REFRESH_ROTATION=false keeps the reference's behaviour: same token, no new one", () =>
      Effect.gen(function*() {
        const user = yield* signedUpUser()
        const first = yield* refresh(user.refreshToken)
        assert.strictEqual(first.status, 200)
        assert.notProperty(first.json as object, "refresh_token")
        const second = yield* refresh(user.refreshToken)
        assert.strictEqual(second.status, 200)
      }))
  }
)
