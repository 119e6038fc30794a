/**
 * Operators' credit adjustments and the counts of refused validations, against the real API: an
 * adjustment of the current period is honoured by the very next validation (and reported in its
 * remaining credits), takes credits away as well, belongs to its period only, and is refused
 * without a current subscription; every refusal is counted by product and reason.
 */
import { CreditAdjustments, UsageDenials, UsageDirectory } from "@cuebx/usage"
import { assert, layer } from "@effect/vitest"
import { BigDecimal, DateTime, Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer } from "../auth/support.ts"
import { createTeam, newUser } from "../workspaces/support.ts"
import { answerOf, apiKeyFixture, setPricing, validate, validateBody } from "./support.ts"

const credits = (value: string) => BigDecimal.fromStringUnsafe(value)

layer(authTestLayer({ env: { USAGE_DENIALS_FLUSH_INTERVAL: "1 hour" } }), { excludeTestServices: true })(
  "credit adjustments and refusal counts",
  (it) => {
    it.effect("the next validation honours an adjustment, both ways, and reports it in the remaining credits", () =>
      Effect.gen(function*() {
        const adjustments = yield* CreditAdjustments
        const fixture = yield* apiKeyFixture("Professional")
        yield* setPricing("API", "Professional", { credits: "1.50" })
        const first = yield* validate(validateBody(fixture, { feature_key: "api.career_path" }))
        assert.strictEqual(first.status, 429, first.text)

        const { after, before } = yield* adjustments.adjustWorkspace(fixture.workspaceId, credits("1.00"))
        assert.strictEqual(BigDecimal.format(before.adjustment), "0")
        assert.strictEqual(BigDecimal.format(after.adjustment), "1")
        assert.strictEqual(BigDecimal.format(after.available), "2.5")
        const granted = yield* validate(validateBody(fixture, { feature_key: "api.career_path" }))
        assert.strictEqual(granted.status, 200, granted.text)
        assert.strictEqual(answerOf(granted).message, "Access granted. 0.50 credits remaining after this request.")

        yield* adjustments.adjustWorkspace(fixture.workspaceId, credits("-0.50"))
        const refused = yield* validate(validateBody(fixture, { feature_key: "api.extract_keywords" }))
        assert.strictEqual(refused.status, 429, refused.text)
        assert.strictEqual(
          answerOf(refused).message,
          "Quota exceeded. Used 2.00/2.00 credits. This request requires 1.00 credits."
        )
        yield* setPricing("API", "Professional", { credits: "100000.00" })
      }))

    it.effect("an adjustment belongs to its period: the next period starts from the plan's allowance", () =>
      Effect.gen(function*() {
        const adjustments = yield* CreditAdjustments
        const sql = yield* SqlClient.SqlClient
        const fixture = yield* apiKeyFixture()
        const { after } = yield* adjustments.adjustWorkspace(fixture.workspaceId, credits("25"))
        // Stripe's next period starts (a renewal), on other dates than the one adjusted.
        yield* sql`
          UPDATE subscriptions SET current_period_start = now() - interval '1 day',
            current_period_end = now() + interval '29 days'
          WHERE owner_id = ${fixture.workspaceId}`
        const next = yield* adjustments.standingOfWorkspace(fixture.workspaceId)
        assert.strictEqual(next._tag, "Some")
        if (next._tag === "Some") {
          assert.isFalse(DateTime.Equivalence(next.value.periodStart, after.periodStart))
          assert.strictEqual(BigDecimal.format(next.value.adjustment), "0")
        }
      }))

    it.effect("refuses 0, more than two decimals, and a workspace without a current subscription", () =>
      Effect.gen(function*() {
        const adjustments = yield* CreditAdjustments
        const fixture = yield* apiKeyFixture()
        const refusal = (adjustment: string, workspaceId = fixture.workspaceId) =>
          adjustments.adjustWorkspace(workspaceId, credits(adjustment)).pipe(
            Effect.flip,
            Effect.map((error) => error._tag)
          )
        assert.strictEqual(yield* refusal("0"), "AdjustmentRefused")
        assert.strictEqual(yield* refusal("0.001"), "AdjustmentRefused")
        const owner = yield* newUser("no-subscription")
        const team = yield* createTeam(owner, "Unsubscribed")
        const sql = yield* SqlClient.SqlClient
        yield* sql`UPDATE subscriptions SET status = 'CANCELED' WHERE owner_id = ${team}`
        assert.strictEqual(yield* refusal("5", team), "NoCreditPeriod")
      }))

    it.effect("counts refused validations by product and reason, written in one statement per flush", () =>
      Effect.gen(function*() {
        const denials = yield* UsageDenials
        const directory = yield* UsageDirectory
        const fixture = yield* apiKeyFixture()
        yield* denials.flush
        const before = yield* directory.denialsByReason(yield* DateTime.now)
        const countOf = (rows: typeof before, reason: string) =>
          rows.find((row) => row.product === "API" && row.reason === reason)?.count ?? 0
        for (const key of ["cbx_live_unknown-key-1", "cbx_live_unknown-key-2"]) {
          assert.strictEqual((yield* validate(validateBody(fixture, { api_key: key }))).status, 401)
        }
        assert.strictEqual((yield* validate(validateBody(fixture, { api_key: "not-a-key" }))).status, 400)
        assert.strictEqual(yield* denials.flush, 2)
        const after = yield* directory.denialsByReason(yield* DateTime.now)
        assert.strictEqual(countOf(after, "api_key_rejected") - countOf(before, "api_key_rejected"), 2)
        assert.strictEqual(countOf(after, "api_key_malformed") - countOf(before, "api_key_malformed"), 1)
      }))
  }
)
