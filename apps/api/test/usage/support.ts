/**
 * Helpers for the usage tests: a team workspace on a paid plan with live and test API keys, a
 * Career user, the plans' prices set in the database (announced, as the admins' changes will
 * be), and raw calls to the internal endpoints with `X-Internal-API-Key`.
 */
import { InternalApiSecret } from "@cuebx/config"
import { announce } from "@cuebx/db"
import { PricingCatalog, type SubscriptionTerms, UsageAccounts, type WorkspaceAccount } from "@cuebx/usage"
import { assert } from "@effect/vitest"
import { BigDecimal, type Duration, Effect, Option, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { createHash, randomUUID } from "node:crypto"
import { call } from "../auth/support.ts"
import { createTeam, newUser, subscribe, type TestUser } from "../workspaces/support.ts"

export const internalKey = Effect.map(InternalApiSecret.config, Redacted.value)

export const internalHeaders = Effect.map(internalKey, (key) => ({ "x-internal-api-key": key }))

export interface ApiKeyFixture {
  readonly owner: TestUser
  readonly workspaceId: string
  readonly clientId: string
  readonly liveKey: string
  readonly liveKeyId: string
  readonly testKey: string
  readonly testKeyId: string
}

export const clientIdOf = (workspaceId: string) => `ws_${workspaceId.replaceAll("-", "")}`

export const createKey = (owner: TestUser, workspaceId: string, isTestKey: boolean) =>
  Effect.gen(function*() {
    const response = yield* call("POST", `/api/workspaces/${workspaceId}/api-keys`, {
      token: owner.token,
      body: { name: isTestKey ? "test" : "live", is_test_key: isTestKey }
    })
    assert.strictEqual(response.status, 201, response.text)
    return response.json as { api_key: string; key: { id: string } }
  })

/** A team workspace on `plan` (API) with a live and a test key. */
export const apiKeyFixture = (plan = "Basic") =>
  Effect.gen(function*() {
    const owner = yield* newUser("usage-owner")
    const workspaceId = yield* createTeam(owner, "Usage Team")
    yield* subscribe(workspaceId, 1, plan)
    const live = yield* createKey(owner, workspaceId, false)
    const test = yield* createKey(owner, workspaceId, true)
    return {
      owner,
      workspaceId,
      clientId: clientIdOf(workspaceId),
      liveKey: live.api_key,
      liveKeyId: live.key.id,
      testKey: test.api_key,
      testKeyId: test.key.id
    } satisfies ApiKeyFixture
  })

export interface Pricing {
  readonly credits?: string
  readonly perMinute?: number | null
  readonly perDay?: number | null
}

/**
 * Waits until `check` holds (a change announced through PostgreSQL reaches the caches a few
 * milliseconds after it commits), for at most `within`.
 */
export const eventually = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  check: (value: A) => boolean,
  what: string,
  within: Duration.Input = "5 seconds"
) =>
  effect.pipe(
    Effect.repeat({ until: check, schedule: Schedule.spaced("10 millis") }),
    Effect.timeoutOrElse({
      duration: within,
      orElse: () => Effect.die(new Error(`never saw ${what} within ${String(within)}`))
    })
  )

/** Waits until this process's cache of the workspace satisfies `check`. */
export const awaitWorkspace = (workspaceId: string, check: (account: WorkspaceAccount | undefined) => boolean) =>
  Effect.gen(function*() {
    const accounts = yield* UsageAccounts
    yield* eventually(
      Effect.map(accounts.workspace(workspaceId), Option.getOrUndefined),
      check,
      `the change of workspace ${workspaceId}`
    )
  })

/** Waits until this process's cache of the user's Career subscription satisfies `check`. */
export const awaitCareer = (userId: string, check: (terms: SubscriptionTerms | null) => boolean) =>
  Effect.gen(function*() {
    const accounts = yield* UsageAccounts
    yield* eventually(accounts.careerSubscription(userId), check, `the change of user ${userId}`)
  })

/** Sets a plan's pricing rule and announces it, as an admin's change would; returns once this process applies it. */
export const setPricing = (product: "API" | "CAREER", planName: string, pricing: Pricing) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const catalog = yield* PricingCatalog
    const rule = yield* sql.withTransaction(Effect.gen(function*() {
      const plans = yield* sql<{ readonly id: string }>`
        SELECT id FROM plans WHERE product_type = ${product} AND name = ${planName}`
      assert.strictEqual(plans.length, 1, `no ${product} plan named ${planName}`)
      const planId = plans[0]!.id
      if (pricing.credits !== undefined) {
        yield* sql`UPDATE plan_pricing_rules SET credits_allocation = ${pricing.credits}::numeric WHERE plan_id = ${planId}`
      }
      if (pricing.perMinute !== undefined) {
        yield* sql`UPDATE plan_pricing_rules SET rate_limit_per_minute = ${pricing.perMinute} WHERE plan_id = ${planId}`
      }
      if (pricing.perDay !== undefined) {
        yield* sql`UPDATE plan_pricing_rules SET rate_limit_per_day = ${pricing.perDay} WHERE plan_id = ${planId}`
      }
      yield* announce("plan", planId)
      const rows = yield* sql<
        {
          readonly creditsAllocation: string
          readonly rateLimitPerMinute: number | null
          readonly rateLimitPerDay: number | null
        }
      >`
        SELECT credits_allocation, rate_limit_per_minute, rate_limit_per_day FROM plan_pricing_rules WHERE plan_id = ${planId}`
      return { planId, ...rows[0]! }
    }))
    yield* eventually(
      Effect.map(catalog.current, (current) => current.rule(rule.planId)),
      (applied) =>
        applied !== undefined &&
        BigDecimal.equals(applied.creditsAllocation, BigDecimal.fromStringUnsafe(rule.creditsAllocation)) &&
        applied.rateLimitPerMinute === rule.rateLimitPerMinute && applied.rateLimitPerDay === rule.rateLimitPerDay,
      `the pricing of ${product}/${planName}`
    )
  })

/** A valid validate body for the fixture's live key (or `key`), with a fresh request id. */
export const validateBody = (fixture: ApiKeyFixture, overrides: Record<string, unknown> = {}) => ({
  request_id: `req_${randomUUID()}`,
  client_id: fixture.clientId,
  feature_key: "api.extract_cues.resume",
  api_key: fixture.liveKey,
  endpoint: "/v1/extract-cues/resume",
  method: "POST",
  payload_hash: createHash("sha256").update(randomUUID()).digest("hex"),
  ...overrides
})

export const careerValidateBody = (overrides: Record<string, unknown> = {}) => ({
  request_id: `req_${randomUUID()}`,
  feature_key: "career.career_path",
  endpoint: "/v1/career-path",
  method: "POST",
  payload_hash: createHash("sha256").update(randomUUID()).digest("hex"),
  ...overrides
})

export const postInternal = (path: string, body: unknown, extra: Record<string, string> = {}) =>
  Effect.flatMap(internalHeaders, (headers) => call("POST", path, { body, headers: { ...headers, ...extra } }))

export const validate = (body: unknown) => postInternal("/api/internal/usage/validate", body)
export const commit = (body: unknown) => postInternal("/api/internal/usage/commit", body)

export const careerValidate = (user: TestUser, body: unknown) =>
  postInternal("/career/internal/usage/validate", body, { authorization: `Bearer ${user.token}` })
export const careerCommit = (body: unknown) => postInternal("/career/internal/usage/commit", body)

/** The validate answer's body. */
export interface ValidateAnswer {
  readonly access: "granted" | "denied"
  readonly usage_id: string | null
  readonly message: string
  readonly credits_reserved: string | null
  readonly is_test_key: boolean
}

export const answerOf = (response: { readonly json: unknown }) => response.json as ValidateAnswer

/** What the quota of the owner holds in its current period (granted = reserved + charged). */
export const grantedOf = (ownerId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly granted: string }>`
      SELECT granted FROM usage_quotas WHERE owner_id = ${ownerId} ORDER BY period_start DESC LIMIT 1`
    return rows.length === 0 ? "0.00" : rows[0]!.granted
  })

export const usageRow = (table: "usage_logs" | "career_usage_logs", usageId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM ${sql(table)} WHERE id = ${usageId}`
    assert.strictEqual(rows.length, 1, `no usage ${usageId}`)
    return rows[0]!
  })

/** A verified user with the Career Free plan (every verified user gets it). */
export const careerUser = (label = "career") => newUser(label)
