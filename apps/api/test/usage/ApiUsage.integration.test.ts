/**
 * `POST /api/internal/usage/validate` and `/commit` over REST: every outcome of §A.1 in its
 * order with the reference's status, body and headers, SPEC.md's overrides (402/403 for
 * inactive workspaces and subscriptions, 409 for a reused request id, 422 for the other
 * product's feature), idempotent replays, commits that charge or release exactly once, and the
 * weaknesses of the reference this fixes (each test named after it).
 */
import { formatAmount } from "@cuebx/contract"
import { announce } from "@cuebx/db"
import { PricingCatalog } from "@cuebx/usage"
import { assert, describe, layer } from "@effect/vitest"
import { type BigDecimal, DateTime, Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call } from "../auth/support.ts"
import { setWorkspaceStatus } from "../workspaces/support.ts"
import {
  answerOf,
  apiKeyFixture,
  awaitWorkspace,
  commit,
  eventually,
  grantedOf,
  setPricing,
  usageRow,
  validate,
  validateBody
} from "./support.ts"

const formatCost = (cost: BigDecimal.BigDecimal | undefined) => cost === undefined ? undefined : formatAmount(cost)

const denied = (status: number, message: string) => ({ status, message })

const expectAnswer = (
  response: { readonly status: number; readonly json: unknown; readonly text: string },
  expected: { readonly status: number; readonly message: string; readonly isTestKey?: boolean }
) => {
  assert.strictEqual(response.status, expected.status, response.text)
  assert.deepStrictEqual(response.json, {
    access: "denied",
    usage_id: null,
    message: expected.message,
    credits_reserved: null,
    is_test_key: expected.isTestKey ?? false
  })
}

const noRateLimitHeaders = (headers: Readonly<Record<string, string>>) =>
  assert.deepStrictEqual(Object.keys(headers).filter((name) => name.startsWith("x-ratelimit")), [])

layer(authTestLayer(), { excludeTestServices: true })("metered usage of the API product (REST)", (it) => {
  // One paid workspace for most cases; tests that change its plan or state make their own.
  const shared = apiKeyFixture().pipe(Effect.cached)

  describe("the internal key", () => {
    it.effect("is required before anything else, in constant time, with the reference's 401s", () =>
      Effect.gen(function*() {
        const fixture = yield* yield* shared
        const missing = yield* call("POST", "/api/internal/usage/validate", { body: validateBody(fixture) })
        assert.strictEqual(missing.status, 401)
        assert.deepStrictEqual(missing.json, { detail: "Missing X-Internal-API-Key header." })
        assert.strictEqual(missing.headers["www-authenticate"], "Bearer")
        const wrong = yield* call("POST", "/api/internal/usage/validate", {
          body: validateBody(fixture),
          headers: { "x-internal-api-key": "invalid_key" }
        })
        assert.deepStrictEqual([wrong.status, wrong.json], [401, { detail: "Invalid internal API key." }])
        // Checked before the body: no 422 leaks that the endpoint exists to a caller without the key.
        const noBody = yield* call("POST", "/api/internal/usage/commit", { body: {} })
        assert.strictEqual(noBody.status, 401)
        const commitWrong = yield* call("POST", "/api/internal/usage/commit", {
          body: { api_key: fixture.liveKey, usage_id: crypto.randomUUID(), success: true },
          headers: { "x-internal-api-key": "é-not-ascii" }
        })
        assert.strictEqual(commitWrong.status, 401)
      }))
  })

  describe("validate", () => {
    it.effect("grants a live key: reserves the cost, with the rate-limit headers (cases 10, 15)", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const response = yield* validate(validateBody(fixture))
        assert.strictEqual(response.status, 200, response.text)
        const answer = answerOf(response)
        assert.deepStrictEqual({ ...answer, usage_id: typeof answer.usage_id }, {
          access: "granted",
          usage_id: "string",
          message: "Access granted. 9999.00 credits remaining after this request.",
          credits_reserved: "1.00",
          is_test_key: false
        })
        assert.strictEqual(response.headers["x-ratelimit-limit-minute"], "60")
        assert.strictEqual(response.headers["x-ratelimit-remaining-minute"], "59")
        assert.strictEqual(response.headers["x-ratelimit-limit-day"], "10000")
        assert.strictEqual(response.headers["x-ratelimit-remaining-day"], "9999")
        const now = Math.floor(Date.now() / 1000)
        for (const window of ["minute", "day"]) {
          const reset = Number(response.headers[`x-ratelimit-reset-${window}`])
          assert.isTrue(reset > now, `${window} reset ${reset} is in the future`)
        }
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00")
        const row = yield* usageRow("usage_logs", answer.usage_id!)
        assert.deepInclude(row, {
          status: "PENDING",
          accessStatus: "granted",
          featureKey: "API_EXTRACT_CUES_RESUME",
          creditsReserved: "1.00",
          apiKeyId: fixture.liveKeyId,
          workspaceId: fixture.workspaceId,
          endpoint: "/v1/extract-cues/resume",
          method: "POST"
        })
      }))

    it.effect("normalises endpoint and method, and stores the client and the estimate (case 42)", () =>
      Effect.gen(function*() {
        const fixture = yield* yield* shared
        const response = yield* validate(validateBody(fixture, {
          endpoint: "/V1/EXTRACT-CUES/RESUME",
          method: "post",
          client: { ip: "102.89.1.22", user_agent: "Mozilla/5.0" },
          usage_estimate: { input_chars: 22000, model: "gpt-4o-mini" }
        }))
        assert.strictEqual(response.status, 200, response.text)
        const row = yield* usageRow("usage_logs", answerOf(response).usage_id!)
        assert.deepInclude(row, {
          endpoint: "/v1/extract-cues/resume",
          method: "POST",
          clientIp: "102.89.1.22",
          clientUserAgent: "Mozilla/5.0"
        })
        assert.deepStrictEqual(row["usageEstimate"], {
          input_chars: 22000,
          max_output_tokens: null,
          model: "gpt-4o-mini"
        })
      }))

    it.effect("refuses a key of the wrong shape (400), unknown (401), expired or revoked (401) (cases 4, 7, 8, 20, 21)", () =>
      Effect.gen(function*() {
        const fixture = yield* yield* shared
        const sql = yield* SqlClient.SqlClient
        for (const key of ["invalid_key_format", "cbx_live_", "cbx_test_", ""]) {
          const response = yield* validate(validateBody(fixture, { api_key: key }))
          expectAnswer(response, denied(400, "Invalid API key format."))
          noRateLimitHeaders(response.headers)
        }
        const unknown = yield* validate(validateBody(fixture, {
          api_key: "cbx_live_nonexistentkey123456789",
          usage_estimate: { input_chars: 1000, max_output_tokens: 500, model: "gpt-4" }
        }))
        expectAnswer(unknown, denied(401, "API key not found, expired, or revoked."))
        assert.strictEqual(unknown.headers["www-authenticate"], "Bearer")
        const other = yield* apiKeyFixture()
        yield* sql`UPDATE api_keys SET expires_at = now() - interval '1 day' WHERE id = ${other.liveKeyId}`
        yield* sql.withTransaction(announce("api_key", other.liveKeyId))
        const expired = yield* eventually(
          validate(validateBody(other)),
          (response) => response.status === 401,
          "expiry"
        )
        expectAnswer(expired, denied(401, "API key not found, expired, or revoked."))
        const revoke = yield* call("DELETE", `/api/workspaces/${other.workspaceId}/api-keys/${other.testKeyId}`, {
          token: other.owner.token
        })
        assert.strictEqual(revoke.status, 200, revoke.text)
        const revoked = yield* eventually(
          validate(validateBody(other, { api_key: other.testKey })),
          (response) => response.status === 401,
          "the revocation",
          "1 second"
        )
        expectAnswer(revoked, denied(401, "API key not found, expired, or revoked."))
      }))

    it.effect("refuses another workspace's key with 403 and records nothing (case 19)", () =>
      Effect.gen(function*() {
        const fixture = yield* yield* shared
        const other = yield* apiKeyFixture()
        const response = yield* validate(validateBody(fixture, { api_key: other.liveKey }))
        expectAnswer(response, denied(403, "API key does not belong to the specified workspace."))
        noRateLimitHeaders(response.headers)
      }))

    it.effect("W11: a frozen or suspended workspace, or no current subscription, is refused", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const fixture = yield* apiKeyFixture()
        for (
          const [status, message] of [
            ["FROZEN", "Workspace is frozen. Please renew subscription."],
            ["SUSPENDED", "Workspace is suspended. Please contact support."]
          ] as const
        ) {
          yield* setWorkspaceStatus(fixture.workspaceId, status)
          yield* sql.withTransaction(announce("workspace", fixture.workspaceId))
          yield* awaitWorkspace(fixture.workspaceId, (account) => account?.status === status.toLowerCase())
          expectAnswer(yield* validate(validateBody(fixture)), denied(403, message))
        }
        yield* setWorkspaceStatus(fixture.workspaceId, "ACTIVE")
        yield* sql.withTransaction(announce("workspace", fixture.workspaceId))
        yield* sql`
          UPDATE subscriptions SET status = 'CANCELED' WHERE id =
            (SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${fixture.workspaceId})`
        yield* sql.withTransaction(announce("subscription", fixture.workspaceId))
        yield* awaitWorkspace(
          fixture.workspaceId,
          (account) => account?.status === "active" && account.subscription === null
        )
        expectAnswer(
          yield* validate(validateBody(fixture)),
          denied(402, "No active subscription found for this workspace.")
        )
        // A deleted workspace's keys stop authenticating.
        yield* sql`UPDATE workspaces SET is_deleted = true, deleted_at = now() WHERE id = ${fixture.workspaceId}`
        yield* sql.withTransaction(announce("workspace", fixture.workspaceId))
        yield* awaitWorkspace(fixture.workspaceId, (account) => account === undefined)
        expectAnswer(yield* validate(validateBody(fixture)), denied(401, "API key not found, expired, or revoked."))
      }))

    it.effect("W13: a Career feature key on the API product is a 422, like a malformed body (cases 5, 6, 9, 38)", () =>
      Effect.gen(function*() {
        const fixture = yield* yield* shared
        const career = yield* validate(validateBody(fixture, { feature_key: "career.job_match" }))
        assert.strictEqual(career.status, 422, career.text)
        assert.deepStrictEqual(
          (career.json as { detail: Array<{ loc: Array<string> }> }).detail.map((issue) => issue.loc),
          [["body", "feature_key"]]
        )
        for (
          const [body, loc] of [
            [{ client_id: "invalid_client_id" }, ["body", "client_id"]],
            [{ client_id: crypto.randomUUID().replaceAll("-", "") }, ["body", "client_id"]],
            [{ client_id: "ws_not-hex-chars-here!" }, ["body", "client_id"]],
            [{ client_id: `ws_${"A".repeat(32)}` }, ["body", "client_id"]],
            [{ payload_hash: "xyz" }, ["body", "payload_hash"]],
            [{ usage_estimate: {} }, ["body", "usage_estimate"]],
            [{ usage_estimate: { input_chars: 10_000_001 } }, ["body", "usage_estimate", "input_chars"]],
            [{ usage_estimate: { max_output_tokens: 2_000_001 } }, ["body", "usage_estimate", "max_output_tokens"]],
            [{ usage_estimate: { model: "m".repeat(101) } }, ["body", "usage_estimate", "model"]],
            [{ request_id: "r".repeat(256) }, ["body", "request_id"]]
          ] as const
        ) {
          const response = yield* validate(validateBody(fixture, body))
          assert.strictEqual(response.status, 422, `${JSON.stringify(body)}: ${response.text}`)
          assert.deepStrictEqual((response.json as { detail: Array<{ loc: Array<string> }> }).detail[0]!.loc, [...loc])
          noRateLimitHeaders(response.headers)
        }
        const estimate = yield* validate(validateBody(fixture, { usage_estimate: {} }))
        assert.include(
          (estimate.json as { detail: Array<{ msg: string }> }).detail[0]!.msg,
          "At least one field must be provided in usage_estimate"
        )
        const bounds = yield* validate(validateBody(fixture, {
          usage_estimate: { input_chars: 10_000_000, max_output_tokens: 2_000_000, model: "m".repeat(100) }
        }))
        assert.strictEqual(bounds.status, 200, bounds.text)
        const partial = yield* validate({ client_id: fixture.clientId })
        assert.strictEqual(partial.status, 422)
        assert.isAbove((partial.json as { detail: Array<unknown> }).detail.length, 3)
      }))

    it.effect("a test key is granted without credits, even when the period is used up (cases 22, 23)", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { credits: "0.00" })
        const live = yield* validate(validateBody(fixture))
        assert.strictEqual(live.status, 429, live.text)
        const response = yield* validate(validateBody(fixture, { api_key: fixture.testKey }))
        assert.strictEqual(response.status, 200, response.text)
        const answer = answerOf(response)
        assert.deepInclude(answer, {
          access: "granted",
          message: "Access granted (test key - no credits charged).",
          credits_reserved: "0.00",
          is_test_key: true
        })
        const committed = yield* commit({ api_key: fixture.testKey, usage_id: answer.usage_id, success: true })
        assert.deepStrictEqual(committed.json, { success: true, message: "Usage committed as SUCCESS." })
        const row = yield* usageRow("usage_logs", answer.usage_id!)
        assert.deepInclude(row, { status: "SUCCESS", creditsCharged: "0.00", isTestKey: true, quotaId: null })
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "0.00")
        yield* setPricing("API", "Professional", { credits: "100000.00" })
      }))

    it.effect("refuses over the period's credits with 429 and records the refusal (case 16, 60)", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { credits: "2.50" })
        const first = yield* validate(validateBody(fixture, { feature_key: "api.career_path" }))
        assert.deepInclude(answerOf(first), {
          access: "granted",
          credits_reserved: "2.00",
          message: "Access granted. 0.50 credits remaining after this request."
        })
        const refused = yield* validate(validateBody(fixture, { feature_key: "api.extract_keywords" }))
        assert.strictEqual(refused.status, 429, refused.text)
        const answer = answerOf(refused)
        assert.deepInclude(answer, {
          access: "denied",
          message: "Quota exceeded. Used 2.00/2.50 credits. This request requires 1.00 credits.",
          credits_reserved: "1.00",
          is_test_key: false
        })
        assert.isString(answer.usage_id)
        assert.isUndefined(refused.headers["retry-after"], "a quota refusal is not a rate limit")
        assert.strictEqual(refused.headers["x-ratelimit-limit-minute"], "300")
        assert.deepInclude(yield* usageRow("usage_logs", answer.usage_id!), {
          status: "DENIED",
          accessStatus: "denied"
        })
        yield* setPricing("API", "Professional", { credits: "100000.00" })
      }))

    it.effect("W4: a refused validation is terminal: committing it charges nothing", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { credits: "0.50" })
        const refused = answerOf(yield* validate(validateBody(fixture)))
        const committed = yield* commit({ api_key: fixture.liveKey, usage_id: refused.usage_id, success: true })
        assert.deepStrictEqual(committed.json, {
          success: false,
          message: "Usage was denied at validation: there is nothing to commit."
        })
        assert.deepInclude(yield* usageRow("usage_logs", refused.usage_id!), { status: "DENIED", creditsCharged: null })
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "0.00")
        yield* setPricing("API", "Professional", { credits: "100000.00" })
      }))

    it.effect("W14: credits are quantized once, before the check and the store", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const fixture = yield* apiKeyFixture("Professional")
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`UPDATE plan_pricing_rules SET multiplier = 0.15
            WHERE plan_id = (SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional')`
          yield* sql`UPDATE feature_cost_configs SET internal_cost_credits = 0.15 WHERE feature_key = 'API_JOB_MATCH'`
          yield* announce("plan", "professional")
          yield* announce("feature_cost", "API_JOB_MATCH")
        }))
        const catalog = yield* PricingCatalog
        const planId = (yield* sql<{ readonly id: string }>`
          SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional'`)[0]!.id
        yield* eventually(
          Effect.map(catalog.current, (current) => formatCost(current.cost(planId, "api.job_match"))),
          (cost) => cost === "0.02",
          "the new cost"
        )
        const body = validateBody(fixture, { feature_key: "api.job_match" })
        const first = answerOf(yield* validate(body))
        const replay = answerOf(yield* validate(body))
        // 0.15 × 0.15 = 0.0225, half-even to two decimals: 0.02, the same in every answer and in the row.
        assert.deepStrictEqual([first.credits_reserved, replay.credits_reserved], ["0.02", "0.02"])
        assert.deepInclude(yield* usageRow("usage_logs", first.usage_id!), { creditsReserved: "0.02" })
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`UPDATE plan_pricing_rules SET multiplier = 1
            WHERE plan_id = (SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional')`
          yield* sql`UPDATE feature_cost_configs SET internal_cost_credits = 2 WHERE feature_key = 'API_JOB_MATCH'`
          yield* announce("plan", "professional")
        }))
        yield* eventually(
          Effect.map(catalog.current, (current) => formatCost(current.cost(planId, "api.job_match"))),
          (cost) => cost === "2.00",
          "the cost restored"
        )
      }))
  })

  describe("idempotency", () => {
    it.effect("a repeated request replays the first answer and status, without counting credits twice (case 17)", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const body = validateBody(fixture)
        const first = answerOf(yield* validate(body))
        const replay = yield* validate(body)
        assert.strictEqual(replay.status, 200)
        assert.deepStrictEqual(replay.json, {
          access: "granted",
          usage_id: first.usage_id,
          message: "Request already processed (idempotent). Access: granted",
          credits_reserved: "1.00",
          is_test_key: false
        })
        noRateLimitHeaders(replay.headers)
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00")
        // The client's address is not part of the request's identity.
        const moved = yield* validate({ ...body, client: { ip: "10.0.0.9" } })
        assert.strictEqual(answerOf(moved).usage_id, first.usage_id)
      }))

    it.effect("the same request_id with another request is 409 (case 18, SPEC: not a second usage)", () =>
      Effect.gen(function*() {
        const fixture = yield* yield* shared
        const body = validateBody(fixture)
        yield* validate(body)
        const conflict = yield* validate({ ...body, payload_hash: "b".repeat(64) })
        assert.strictEqual(conflict.status, 409, conflict.text)
        assert.deepStrictEqual(conflict.json, {
          detail: "This request_id was already used with a different request.",
          request_id: body.request_id
        })
      }))

    it.effect("W7: a replay goes only to the same API key, with the original status", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { credits: "0.00" })
        const body = validateBody(fixture)
        const refused = yield* validate(body)
        assert.strictEqual(refused.status, 429)
        const replay = yield* validate(body)
        assert.strictEqual(replay.status, 429, "a refusal replays as a refusal")
        assert.deepStrictEqual(replay.json, {
          access: "denied",
          usage_id: answerOf(refused).usage_id,
          message: "Request already processed (idempotent). Access: denied",
          credits_reserved: "1.00",
          is_test_key: false
        })
        // Another key of the same workspace does not see it: it is its own request.
        const otherKey = yield* validate({ ...body, api_key: fixture.testKey })
        assert.strictEqual(otherKey.status, 200, otherKey.text)
        assert.notStrictEqual(answerOf(otherKey).usage_id, answerOf(refused).usage_id)
        // A malformed key gets no replay either.
        expectAnswer(yield* validate({ ...body, api_key: "garbage" }), denied(400, "Invalid API key format."))
        yield* setPricing("API", "Professional", { credits: "100000.00" })
      }))

    it.effect("W8: concurrent identical first requests create one usage and reserve once", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const body = validateBody(fixture)
        const answers = yield* Effect.forEach(Array.from({ length: 20 }), () => validate(body), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual([...new Set(answers.map((answer) => answer.status))], [200])
        assert.strictEqual(new Set(answers.map((answer) => answerOf(answer).usage_id)).size, 1)
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00")
      }))
  })

  describe("commit", () => {
    it.effect("charges on success and releases on failure, with the reference's messages (cases 12–14, 41)", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const granted = answerOf(yield* validate(validateBody(fixture)))
        const ok = yield* commit({
          api_key: fixture.liveKey,
          usage_id: granted.usage_id,
          success: true,
          metrics: { model_used: "gpt-4o", input_tokens: 1500, output_tokens: 500, latency_ms: 1200 }
        })
        assert.deepStrictEqual([ok.status, ok.json], [200, { success: true, message: "Usage committed as SUCCESS." }])
        assert.deepInclude(yield* usageRow("usage_logs", granted.usage_id!), {
          status: "SUCCESS",
          creditsCharged: "1.00",
          modelUsed: "gpt-4o",
          inputTokens: 1500,
          outputTokens: 500,
          latencyMs: 1200
        })
        const second = answerOf(yield* validate(validateBody(fixture)))
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "2.00")
        const failed = yield* commit({
          api_key: fixture.liveKey,
          usage_id: second.usage_id,
          success: false,
          failure: { failure_type: "upstream_error", reason: "Model API returned 500" }
        })
        assert.deepStrictEqual(failed.json, { success: true, message: "Usage committed as FAILED." })
        assert.deepInclude(yield* usageRow("usage_logs", second.usage_id!), {
          status: "FAILED",
          creditsCharged: null,
          failureType: "upstream_error",
          failureReason: "Model API returned 500"
        })
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00", "the failure's reservation is back")

        const unknownKey = yield* commit({ api_key: "cbx_live_nope", usage_id: crypto.randomUUID(), success: true })
        assert.deepStrictEqual(unknownKey.json, {
          success: true,
          message: "API key not found, but operation is idempotent."
        })
        const badKey = yield* commit({ api_key: "nope", usage_id: crypto.randomUUID(), success: true })
        assert.deepStrictEqual(badKey.json, {
          success: true,
          message: "Invalid API key format, but operation is idempotent."
        })
        const unknownUsage = yield* commit({ api_key: fixture.liveKey, usage_id: crypto.randomUUID(), success: true })
        assert.deepStrictEqual(unknownUsage.json, {
          success: true,
          message: "Usage log not found, but operation is idempotent."
        })
        const third = answerOf(yield* validate(validateBody(fixture)))
        const foreign = yield* commit({ api_key: fixture.testKey, usage_id: third.usage_id, success: true })
        assert.deepStrictEqual(foreign.json, { success: false, message: "API key does not own this usage log." })
        for (
          const body of [
            { api_key: fixture.liveKey, usage_id: third.usage_id, success: false },
            { usage_id: third.usage_id, success: true },
            { api_key: fixture.liveKey, success: true },
            { api_key: fixture.liveKey, usage_id: "not-a-valid-uuid", success: true },
            { api_key: fixture.liveKey, usage_id: third.usage_id, success: true, metrics: { latency_ms: 3_600_001 } },
            { api_key: fixture.liveKey, usage_id: third.usage_id, success: false, failure: { reason: "x" } },
            {
              api_key: fixture.liveKey,
              usage_id: third.usage_id,
              success: false,
              failure: { failure_type: "timeout", reason: "" }
            }
          ]
        ) {
          const response = yield* commit(body)
          assert.strictEqual(response.status, 422, `${JSON.stringify(body)}: ${response.text}`)
        }
        const required = yield* commit({ api_key: fixture.liveKey, usage_id: third.usage_id, success: false })
        assert.include(
          (required.json as { detail: Array<{ msg: string }> }).detail[0]!.msg,
          "failure details are required when success=False"
        )
        // The API allows failure details on a success (stored with it), as the reference did.
        const both = yield* commit({
          api_key: fixture.liveKey,
          usage_id: third.usage_id,
          success: true,
          failure: { failure_type: "timeout", reason: "slow but done" },
          metrics: {}
        })
        assert.deepStrictEqual(both.json, { success: true, message: "Usage committed as SUCCESS." })
        assert.deepInclude(yield* usageRow("usage_logs", third.usage_id!), {
          status: "SUCCESS",
          failureType: "timeout"
        })
      }))

    it.effect("W1: a repeated success commit charges once and says so", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const granted = answerOf(yield* validate(validateBody(fixture)))
        const body = { api_key: fixture.liveKey, usage_id: granted.usage_id, success: true }
        assert.deepStrictEqual((yield* commit(body)).json, { success: true, message: "Usage committed as SUCCESS." })
        for (let attempt = 0; attempt < 3; attempt++) {
          assert.deepStrictEqual((yield* commit(body)).json, {
            success: true,
            message: "Usage already committed as SUCCESS."
          })
        }
        assert.deepStrictEqual(
          (yield* commit({ ...body, success: false, failure: { failure_type: "timeout", reason: "late" } })).json,
          {
            success: true,
            message: "Usage already committed as SUCCESS."
          }
        )
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00")
        assert.deepInclude(yield* usageRow("usage_logs", granted.usage_id!), { creditsCharged: "1.00" })
      }))

    it.effect("W2: concurrent commits of one usage charge it once", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture()
        const granted = answerOf(yield* validate(validateBody(fixture)))
        const answers = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, index) => index),
          (index) =>
            commit({
              api_key: fixture.liveKey,
              usage_id: granted.usage_id,
              ...(index % 2 === 0
                ? { success: true }
                : { success: false, failure: { failure_type: "timeout", reason: "race" } })
            }),
          { concurrency: "unbounded" }
        )
        const messages = answers.map((answer) => (answer.json as { message: string }).message)
        assert.strictEqual(messages.filter((message) => message.startsWith("Usage committed as")).length, 1)
        const row = yield* usageRow("usage_logs", granted.usage_id!)
        const charged = row["status"] === "SUCCESS"
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), charged ? "1.00" : "0.00")
        assert.isTrue(messages.every((message) => message.includes(charged ? "SUCCESS" : "FAILED")), messages.join())
      }))
  })

  describe("rate limits", () => {
    it.effect("W12: per minute from the plan, only admitted requests count, test keys apart (cases 24, 34, 35, 36)", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { perMinute: 3, perDay: null })
        const remaining: Array<string | undefined> = []
        for (let index = 0; index < 3; index++) {
          const response = yield* validate(validateBody(fixture))
          assert.strictEqual(response.status, 200, response.text)
          remaining.push(response.headers["x-ratelimit-remaining-minute"])
          assert.isUndefined(response.headers["x-ratelimit-limit-day"], "the plan has no daily limit")
        }
        assert.deepStrictEqual(remaining, ["2", "1", "0"])
        for (let index = 0; index < 3; index++) {
          const limited = yield* validate(validateBody(fixture))
          assert.strictEqual(limited.status, 429)
          const retryAfter = Number(limited.headers["retry-after"])
          assert.isTrue(retryAfter > 0 && retryAfter <= 120, `Retry-After ${retryAfter}`)
          assert.deepStrictEqual(limited.json, {
            access: "denied",
            usage_id: null,
            message: `Rate limit exceeded. Limit: 3 requests/minute. Try again in ${retryAfter} seconds.`,
            credits_reserved: null,
            is_test_key: false
          })
          assert.strictEqual(limited.headers["x-ratelimit-remaining-minute"], "0")
        }
        // Refusals were not counted, and a test key has its own window.
        const test = yield* validate(validateBody(fixture, { api_key: fixture.testKey }))
        assert.strictEqual(test.status, 200, test.text)
        assert.deepStrictEqual(
          [test.headers["x-ratelimit-limit-minute"], test.headers["x-ratelimit-remaining-minute"]],
          ["3", "2"]
        )
        assert.strictEqual(yield* grantedOf(fixture.workspaceId), "3.00", "refused requests reserved nothing")
        yield* setPricing("API", "Professional", { perMinute: 300, perDay: null })
      }))

    it.effect("a daily limit alone, and workspaces counted apart (cases 31, 37)", () =>
      Effect.gen(function*() {
        const fixture = yield* apiKeyFixture("Professional")
        const other = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { perMinute: null, perDay: 2 })
        for (let index = 0; index < 2; index++) assert.strictEqual((yield* validate(validateBody(fixture))).status, 200)
        const limited = yield* validate(validateBody(fixture))
        assert.strictEqual(limited.status, 429)
        assert.include(answerOf(limited).message, "requests/day")
        assert.isUndefined(limited.headers["x-ratelimit-limit-minute"])
        const elsewhere = yield* validate(validateBody(other))
        assert.strictEqual(elsewhere.status, 200, "another workspace has its own budget")
        assert.strictEqual(elsewhere.headers["x-ratelimit-remaining-day"], "1")
        yield* setPricing("API", "Professional", { perMinute: null, perDay: null })
        const unlimited = yield* validate(validateBody(fixture))
        assert.strictEqual(unlimited.status, 200, unlimited.text)
        noRateLimitHeaders(unlimited.headers)
        yield* setPricing("API", "Professional", { perMinute: 300, perDay: null })
      }))
  })

  describe("periods and pricing changes", () => {
    it.effect("W9: credits reset every billing period, free plans included, keyed by period", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const fixture = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { credits: "1.00" })
        assert.strictEqual((yield* validate(validateBody(fixture))).status, 200)
        assert.strictEqual((yield* validate(validateBody(fixture))).status, 429)
        // The subscription's period ended 31 days ago and no renewal webhook came: the next period starts anyway.
        yield* sql`
          UPDATE subscriptions SET current_period_start = now() - interval '61 days',
            current_period_end = now() - interval '31 days'
          WHERE id = (SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${fixture.workspaceId})`
        yield* sql.withTransaction(announce("subscription", fixture.workspaceId))
        yield* awaitWorkspace(
          fixture.workspaceId,
          (account) => {
            const end = account?.subscription?.period.currentPeriodEnd
            return end !== null && end !== undefined && DateTime.toEpochMillis(end) < Date.now()
          }
        )
        assert.strictEqual((yield* validate(validateBody(fixture))).status, 200)
        const periods = yield* sql<{ readonly granted: string }>`
          SELECT granted FROM usage_quotas WHERE owner_id = ${fixture.workspaceId} ORDER BY period_start`
        assert.deepStrictEqual(periods.map((row) => row.granted), ["1.00", "1.00"])

        // The personal workspace is on the free plan: 30-day periods from the subscription's start.
        const free = yield* sql<{ readonly id: string }>`
          SELECT w.id FROM workspaces w WHERE w.owner_id = ${fixture.owner.id} AND w.is_personal`
        const freeKey = yield* call("POST", `/api/workspaces/${free[0]!.id}/api-keys`, {
          token: fixture.owner.token,
          body: { name: "free" }
        })
        const key = (freeKey.json as { api_key: string }).api_key
        yield* setPricing("API", "Free", { credits: "1.00" })
        const freeFixture = {
          ...fixture,
          workspaceId: free[0]!.id,
          clientId: `ws_${free[0]!.id.replaceAll("-", "")}`,
          liveKey: key
        }
        assert.strictEqual((yield* validate(validateBody(freeFixture))).status, 200)
        assert.strictEqual((yield* validate(validateBody(freeFixture))).status, 429)
        yield* sql`
          UPDATE subscriptions SET created_at = now() - interval '45 days'
          WHERE id = (SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${free[0]!.id})`
        yield* sql.withTransaction(announce("subscription", free[0]!.id))
        yield* awaitWorkspace(
          free[0]!.id,
          (account) => {
            const started = account?.subscription?.period.startedAt
            return started !== undefined && DateTime.toEpochMillis(started) < Date.now() - 40 * 86_400_000
          }
        )
        assert.strictEqual((yield* validate(validateBody(freeFixture))).status, 200, "a new 30-day period began")
        yield* setPricing("API", "Free", { credits: "500.00" })
        yield* setPricing("API", "Professional", { credits: "100000.00" })
      }))

    it.effect("W15: a pricing change applies once it commits, never before, and a rolled-back one never", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const fixture = yield* apiKeyFixture("Professional")
        const planId = (yield* sql<{ readonly id: string }>`
          SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional'`)[0]!.id
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`UPDATE plan_pricing_rules SET credits_allocation = 0 WHERE plan_id = ${planId}`
          yield* announce("plan", planId)
          return yield* Effect.fail("rolled back")
        })).pipe(Effect.ignore)
        assert.strictEqual((yield* validate(validateBody(fixture))).status, 200, "the rolled-back change is not seen")
        yield* setPricing("API", "Professional", { credits: "1.00" })
        assert.strictEqual((yield* validate(validateBody(fixture))).status, 429, "the committed one is, at once")
        yield* setPricing("API", "Professional", { credits: "100000.00" })
      }))

    it.effect("a plan change of the workspace reaches its next validation", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const fixture = yield* apiKeyFixture("Basic")
        const first = yield* validate(validateBody(fixture))
        assert.strictEqual(first.headers["x-ratelimit-limit-minute"], "60")
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`
            UPDATE subscriptions SET plan_id = (SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional')
            WHERE id = (SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${fixture.workspaceId})`
          yield* announce("subscription", fixture.workspaceId)
        }))
        const professional = (yield* sql<{ readonly id: string }>`
          SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional'`)[0]!.id
        yield* awaitWorkspace(fixture.workspaceId, (account) => account?.subscription?.planId === professional)
        const after = yield* validate(validateBody(fixture))
        assert.strictEqual(after.headers["x-ratelimit-limit-minute"], "300")
      }))
  })

  it.effect("W10: revocation takes effect at once; what the key validated before still commits", () =>
    Effect.gen(function*() {
      const fixture = yield* apiKeyFixture()
      const granted = answerOf(yield* validate(validateBody(fixture)))
      const revoke = yield* call("DELETE", `/api/workspaces/${fixture.workspaceId}/api-keys/${fixture.liveKeyId}`, {
        token: fixture.owner.token
      })
      assert.strictEqual(revoke.status, 200)
      const refused = yield* eventually(
        validate(validateBody(fixture)),
        (response) => response.status === 401,
        "the revocation",
        "1 second"
      )
      expectAnswer(refused, denied(401, "API key not found, expired, or revoked."))
      // A revoked key still commits what it validated before (the reference's rule).
      const committed = yield* commit({ api_key: fixture.liveKey, usage_id: granted.usage_id, success: true })
      assert.deepStrictEqual(committed.json, { success: true, message: "Usage committed as SUCCESS." })
    }))
})
