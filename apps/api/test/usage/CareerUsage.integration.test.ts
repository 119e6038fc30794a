/**
 * `POST /career/internal/usage/validate` (the user's Bearer token and the internal key) and
 * `/commit` (the internal key, the user in the body): the reference's outcomes and messages,
 * Career's own rate limits and credits, and results kept in the history only when a commit
 * charges the usage.
 */
import { announce } from "@cuebx/db"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call } from "../auth/support.ts"
import {
  awaitCareer,
  careerCommit,
  careerUser,
  careerValidate,
  careerValidateBody,
  grantedOf,
  internalHeaders,
  setPricing,
  usageRow
} from "./support.ts"

interface CareerAnswer {
  readonly access: string
  readonly user_id: string | null
  readonly usage_id: string | null
  readonly message: string
  readonly credits_reserved: string | null
}

const answerOf = (response: { readonly json: unknown }) => response.json as CareerAnswer

const historyOf = (token: string) =>
  call("GET", "/career/history", { token }).pipe(
    Effect.map((response) =>
      (response.json as { items: Array<{ feature_key: string; title: string; result_data: unknown }> }).items
    )
  )

layer(authTestLayer(), { excludeTestServices: true })("metered usage of CueBX Career (REST)", (it) => {
  describe("authentication (cases 44, 45)", () => {
    it.effect("needs the user's Bearer token first, then the internal key", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const headers = yield* internalHeaders
        const body = careerValidateBody()
        const cases = [
          [{}, "Not authenticated"],
          [{ authorization: `Bearer ${user.token}` }, "Missing X-Internal-API-Key header."],
          [{ authorization: `Bearer ${user.token}`, "x-internal-api-key": "wrong" }, "Invalid internal API key."],
          [headers, "Not authenticated"],
          [{ ...headers, authorization: "Bearer invalid_token" }, "Invalid or expired access token"]
        ] as const
        for (const [extra, detail] of cases) {
          const response = yield* call("POST", "/career/internal/usage/validate", { body, headers: extra })
          assert.strictEqual(response.status, 401, `${JSON.stringify(extra)}: ${response.text}`)
          assert.deepStrictEqual(response.json, { detail })
          assert.strictEqual(response.headers["www-authenticate"], "Bearer")
        }
        for (const extra of [{}, { "x-internal-api-key": "wrong" }]) {
          const response = yield* call("POST", "/career/internal/usage/commit", {
            body: { user_id: user.id, usage_id: crypto.randomUUID(), success: true },
            headers: extra
          })
          assert.strictEqual(response.status, 401)
        }
      }))

    it.effect("a deactivated account is 403", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const user = yield* careerUser("deactivated")
        yield* sql`UPDATE users SET is_active = false WHERE id = ${user.id}`
        const response = yield* careerValidate(user, careerValidateBody())
        assert.deepStrictEqual([response.status, response.json], [403, { detail: "User account is deactivated" }])
      }))
  })

  describe("validate", () => {
    it.effect("grants on the free plan with the six rate-limit headers (case 51)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const response = yield* careerValidate(user, careerValidateBody())
        assert.strictEqual(response.status, 200, response.text)
        const answer = answerOf(response)
        assert.deepStrictEqual({ ...answer, usage_id: typeof answer.usage_id }, {
          access: "granted",
          user_id: user.id,
          usage_id: "string",
          message: "Access granted. 98.00 credits remaining after this request.",
          credits_reserved: "2.00"
        })
        for (
          const header of [
            "limit-minute",
            "remaining-minute",
            "reset-minute",
            "limit-day",
            "remaining-day",
            "reset-day"
          ]
        ) {
          assert.isDefined(response.headers[`x-ratelimit-${header}`], header)
        }
        assert.deepStrictEqual(
          [response.headers["x-ratelimit-limit-minute"], response.headers["x-ratelimit-limit-day"]],
          ["20", "500"]
        )
        assert.deepInclude(yield* usageRow("career_usage_logs", answer.usage_id!), {
          userId: user.id,
          status: "PENDING",
          featureKey: "CAREER_CAREER_PATH"
        })
      }))

    it.effect("bodies: the API product's keys and malformed fields are 422 (case 46, W13)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        for (
          const body of [
            careerValidateBody({ request_id: undefined }),
            careerValidateBody({ feature_key: undefined }),
            careerValidateBody({ feature_key: "invalid.feature_key" }),
            careerValidateBody({ feature_key: "api.career_path" }),
            careerValidateBody({ payload_hash: "not_a_valid_hash" }),
            careerValidateBody({ usage_estimate: {} })
          ]
        ) {
          const response = yield* careerValidate(user, body)
          assert.strictEqual(response.status, 422, `${JSON.stringify(body)}: ${response.text}`)
        }
        const estimate = yield* careerValidate(user, careerValidateBody({ usage_estimate: { model: "gpt-4" } }))
        assert.strictEqual(estimate.status, 200, estimate.text)
      }))

    it.effect("W11: no current Career subscription is 402 (case 49)", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const user = yield* careerUser("no-career")
        yield* sql`
          UPDATE subscriptions SET status = 'CANCELED'
          WHERE id = (SELECT subscription_id FROM career_subscription_contexts WHERE user_id = ${user.id})`
        yield* sql.withTransaction(announce("subscription", user.id))
        yield* awaitCareer(user.id, (terms) => terms === null)
        const response = yield* careerValidate(user, careerValidateBody())
        assert.strictEqual(response.status, 402, response.text)
        assert.deepStrictEqual(response.json, {
          access: "denied",
          user_id: user.id,
          usage_id: null,
          message: "No active career subscription found.",
          credits_reserved: null
        })
        yield* sql`DELETE FROM career_subscription_contexts WHERE user_id = ${user.id}`
        yield* sql.withTransaction(announce("subscription", user.id))
        assert.strictEqual((yield* careerValidate(user, careerValidateBody())).status, 402)
      }))

    it.effect("replays a repeated request; another payload under its id is 409 (case 52)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const body = careerValidateBody()
        const first = answerOf(yield* careerValidate(user, body))
        const replay = yield* careerValidate(user, body)
        assert.strictEqual(replay.status, 200)
        assert.deepStrictEqual(replay.json, {
          access: "granted",
          user_id: user.id,
          usage_id: first.usage_id,
          message: "Request already processed (idempotent). Access: granted",
          credits_reserved: "2.00"
        })
        const conflict = yield* careerValidate(user, { ...body, payload_hash: "c".repeat(64) })
        assert.strictEqual(conflict.status, 409)
        // Request ids are the user's own: another user may use the same one.
        const other = yield* careerUser("other")
        assert.strictEqual((yield* careerValidate(other, body)).status, 200)
      }))

    it.effect("over the period's credits is 429 with the reference's message (cases 53, 60)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        yield* setPricing("CAREER", "Free", { credits: "3.00" })
        assert.strictEqual((yield* careerValidate(user, careerValidateBody())).status, 200)
        const refused = yield* careerValidate(user, careerValidateBody())
        assert.strictEqual(refused.status, 429, refused.text)
        assert.deepInclude(answerOf(refused), {
          access: "denied",
          message: "Quota exceeded. Used 2.00/3.00 credits. This request requires 2.00 credits."
        })
        // 2.00 + 1.00 fits exactly: the boundary is inclusive.
        const exact = yield* careerValidate(user, careerValidateBody({ feature_key: "career.extract_keywords" }))
        assert.strictEqual(exact.status, 200, exact.text)
        assert.strictEqual(answerOf(exact).message, "Access granted. 0.00 credits remaining after this request.")
        yield* setPricing("CAREER", "Free", { credits: "100.00" })
      }))

    it.effect("rate limits per user (case 59)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        yield* setPricing("CAREER", "Free", { perMinute: 3 })
        for (let index = 0; index < 3; index++) {
          assert.strictEqual((yield* careerValidate(user, careerValidateBody())).status, 200)
        }
        const limited = yield* careerValidate(user, careerValidateBody())
        assert.strictEqual(limited.status, 429)
        assert.include(answerOf(limited).message, "Rate limit exceeded. Limit: 3 requests/minute.")
        assert.isDefined(limited.headers["retry-after"])
        yield* setPricing("CAREER", "Free", { perMinute: 20 })
      }))
  })

  describe("commit", () => {
    it.effect("charges, releases, checks the owner, and keeps results only when charged (cases 47, 48, 50, 54–58)", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const other = yield* careerUser("other")
        const unknown = yield* careerCommit({ user_id: user.id, usage_id: crypto.randomUUID(), success: true })
        assert.deepStrictEqual(unknown.json, {
          success: true,
          message: "Usage log not found, but operation is idempotent."
        })
        const unknownFailed = yield* careerCommit({
          user_id: user.id,
          usage_id: crypto.randomUUID(),
          success: false,
          failure: { failure_type: "timeout", reason: "slow" },
          result_data: { ignored: true }
        })
        assert.deepStrictEqual(unknownFailed.status, 200)

        const first = answerOf(yield* careerValidate(user, careerValidateBody()))
        const foreign = yield* careerCommit({ user_id: other.id, usage_id: first.usage_id, success: true })
        assert.deepStrictEqual(foreign.json, { success: false, message: "User does not own this usage log." })
        const result = { paths: [{ title: "Staff Engineer", steps: ["lead", "mentor"] }], score: 0.87 }
        const charged = yield* careerCommit({
          user_id: user.id,
          usage_id: first.usage_id,
          success: true,
          result_data: result
        })
        assert.deepStrictEqual(charged.json, { success: true, message: "Usage committed as SUCCESS." })
        const again = yield* careerCommit({
          user_id: user.id,
          usage_id: first.usage_id,
          success: true,
          result_data: result
        })
        assert.deepStrictEqual(again.json, { success: true, message: "Usage already committed as SUCCESS." })
        const history = yield* historyOf(user.token)
        assert.deepStrictEqual(history.map((item) => [item.feature_key, item.title, item.result_data]), [
          ["career.career_path", "Career Path Analysis", result]
        ])

        const noResult = answerOf(yield* careerValidate(user, careerValidateBody()))
        yield* careerCommit({ user_id: user.id, usage_id: noResult.usage_id, success: true })
        const failed = answerOf(yield* careerValidate(user, careerValidateBody()))
        const failedCommit = yield* careerCommit({
          user_id: user.id,
          usage_id: failed.usage_id,
          success: false,
          failure: { failure_type: "invalid_response", reason: "not JSON" },
          result_data: result
        })
        assert.deepStrictEqual(failedCommit.json, { success: true, message: "Usage committed as FAILED." })
        assert.strictEqual((yield* historyOf(user.token)).length, 1, "no result without a charge")
        assert.strictEqual(yield* grantedOf(user.id), "4.00")

        for (
          const body of [
            { usage_id: first.usage_id, success: true },
            { user_id: user.id, success: true },
            { user_id: user.id, usage_id: first.usage_id },
            { user_id: user.id, usage_id: "nope", success: true },
            { user_id: user.id, usage_id: first.usage_id, success: false },
            {
              user_id: user.id,
              usage_id: first.usage_id,
              success: true,
              failure: { failure_type: "timeout", reason: "x" }
            }
          ]
        ) {
          const response = yield* careerCommit(body)
          assert.strictEqual(response.status, 422, `${JSON.stringify(body)}: ${response.text}`)
        }
        const forbidden = yield* careerCommit({
          user_id: user.id,
          usage_id: first.usage_id,
          success: true,
          failure: { failure_type: "timeout", reason: "x" }
        })
        assert.include(
          (forbidden.json as { detail: Array<{ msg: string }> }).detail[0]!.msg,
          "failure details must not be provided when success=True"
        )
      }))

    it.effect("W6: a repeated success commit with a result keeps one result and never fails", () =>
      Effect.gen(function*() {
        const user = yield* careerUser()
        const granted = answerOf(yield* careerValidate(user, careerValidateBody({ feature_key: "career.job_match" })))
        const body = { user_id: user.id, usage_id: granted.usage_id, success: true, result_data: { match: 0.9 } }
        const answers = yield* Effect.forEach(Array.from({ length: 5 }), () => careerCommit(body), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual([...new Set(answers.map((answer) => answer.status))], [200])
        const history = yield* historyOf(user.token)
        assert.deepStrictEqual(history.map((item) => item.title), ["Job Match Analysis"])
        assert.strictEqual(yield* grantedOf(user.id), "2.00")
      }))

    it.effect("W5: a commit after expiry says so and keeps no result", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const user = yield* careerUser()
        const granted = answerOf(yield* careerValidate(user, careerValidateBody()))
        yield* sql`UPDATE career_usage_logs SET status = 'EXPIRED', committed_at = now() WHERE id = ${granted.usage_id}`
        const late = yield* careerCommit({
          user_id: user.id,
          usage_id: granted.usage_id,
          success: true,
          result_data: { late: true }
        })
        assert.deepStrictEqual(late.json, {
          success: false,
          message: "Usage expired before it was committed: nothing was charged."
        })
        assert.deepStrictEqual(yield* historyOf(user.token), [])
        assert.deepInclude(yield* usageRow("career_usage_logs", granted.usage_id!), {
          status: "EXPIRED",
          creditsCharged: null
        })
      }))
  })
})
