/**
 * POST /api/support/contact-sales at the HTTP boundary: the stored inquiry and its email, the
 * reference's 422 cases, and the 3-an-hour limit per (lowercased) email, counted only for valid
 * forms.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { authTestLayer, call, uniqueEmail } from "../auth/support.ts"

const path = "/api/support/contact-sales"
const thanks = "Thank you for your inquiry. Our sales team will contact you shortly."
const salesTeam = "sales@cuebx.example"

interface SalesRequestRow {
  readonly firstName: string
  readonly lastName: string
  readonly email: string
  readonly message: string | null
  readonly status: string
}

const rowsFor = (email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<SalesRequestRow & { readonly id: string }>`
      SELECT id, first_name, last_name, email, message, status FROM sales_requests WHERE email = ${email}
      ORDER BY created_at`
  })

const emailsFor = (inquiryId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ readonly payload: Record<string, unknown> }>`
      SELECT payload FROM outbox_messages WHERE queue = 'sales_inquiry_emails' AND payload->>'inquiry_id' = ${inquiryId}`
  })

const form = (email: string, extra: Record<string, unknown> = {}) => ({
  first_name: "John",
  last_name: "Doe",
  email,
  message: "We are interested in the Professional plan for 40 developers.",
  ...extra
})

interface ValidationBody {
  readonly detail: ReadonlyArray<{ readonly type: string; readonly loc: ReadonlyArray<string>; readonly msg: string }>
}

layer(authTestLayer({ env: { SALES_NOTIFICATION_EMAIL: salesTeam } }), { excludeTestServices: true })(
  "support",
  (it) => {
    describe("POST /api/support/contact-sales", () => {
      it.effect("answers 201 with the reference's body, stores the inquiry and emails the sales team", () =>
        Effect.gen(function*() {
          const email = uniqueEmail("john.doe")
          const response = yield* call("POST", path, { body: form(email) })
          assert.strictEqual(response.status, 201, response.text)
          const body = response.json as { id: string }
          assert.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
          assert.deepStrictEqual(response.json, { id: body.id, message: thanks, status: "pending" })

          const rows = yield* rowsFor(email)
          assert.deepStrictEqual(rows, [{
            id: body.id,
            firstName: "John",
            lastName: "Doe",
            email,
            message: "We are interested in the Professional plan for 40 developers.",
            status: "pending"
          }])
          const [message] = yield* emailsFor(body.id)
          assert.deepInclude(message!.payload, {
            to: salesTeam,
            inquiry_id: body.id,
            first_name: "John",
            last_name: "Doe",
            email,
            message: "We are interested in the Professional plan for 40 developers."
          })
        }))

      it.effect("accepts a form without a message (stored as NULL) and trims the names", () =>
        Effect.gen(function*() {
          const email = uniqueEmail("nomessage")
          const response = yield* call("POST", path, {
            body: { first_name: "  Jane ", last_name: " Roe  ", email }
          })
          assert.strictEqual(response.status, 201, response.text)
          assert.deepStrictEqual(response.json, {
            id: (response.json as { id: string }).id,
            message: thanks,
            status: "pending"
          })
          const [row] = yield* rowsFor(email)
          assert.deepInclude(row!, { firstName: "Jane", lastName: "Roe", message: null })
        }))

      it.effect("rejects each invalid form with 422, FastAPI's body and the field's location, storing nothing", () =>
        Effect.gen(function*() {
          const email = uniqueEmail("invalid")
          const { first_name: _first, ...noFirstName } = form(email)
          const { last_name: _last, ...noLastName } = form(email)
          const { email: _email, ...noEmail } = form(email)
          const cases: ReadonlyArray<readonly [string, unknown, string, string]> = [
            ["missing first_name", noFirstName, "first_name", "missing"],
            ["missing last_name", noLastName, "last_name", "missing"],
            ["missing email", noEmail, "email", "missing"],
            ["bad email", form("not-an-email"), "email", "value_error"],
            ["empty first_name", form(email, { first_name: "" }), "first_name", "value_error"],
            ["blank first_name", form(email, { first_name: "   " }), "first_name", "value_error"],
            ["5001-character message", form(email, { message: "x".repeat(5001) }), "message", "value_error"]
          ]
          for (const [label, body, field, type] of cases) {
            const response = yield* call("POST", path, { body })
            assert.strictEqual(response.status, 422, `${label}: ${response.text}`)
            const detail = (response.json as ValidationBody).detail
            assert.isArray(detail, label)
            const issue = detail.find((item) => item.loc.join(".") === `body.${field}`)
            assert.isDefined(issue, `${label}: ${response.text}`)
            assert.strictEqual(issue!.type, type, label)
            assert.isNotEmpty(issue!.msg, label)
            if (type === "missing") assert.strictEqual(issue!.msg, "Field required")
          }
          assert.strictEqual((yield* rowsFor(email)).length, 0)
          const at5000 = yield* call("POST", path, { body: form(email, { message: "x".repeat(5000) }) })
          assert.strictEqual(at5000.status, 201, "5000 characters is still allowed")
        }))

      it.effect("allows 3 inquiries an hour per email: the 4th is 429 with Retry-After, another email still 201", () =>
        Effect.gen(function*() {
          const email = uniqueEmail("limited")
          for (let n = 0; n < 3; n++) {
            const ok = yield* call("POST", path, { body: form(email) })
            assert.strictEqual(ok.status, 201, ok.text)
          }
          const denied = yield* call("POST", path, { body: form(email) })
          assert.strictEqual(denied.status, 429)
          assert.match((denied.json as { detail: string }).detail, /^Rate limit exceeded\. Try again in \d+ seconds\.$/)
          const retryAfter = Number(denied.headers["retry-after"])
          assert.isAtLeast(retryAfter, 1)
          // A burst may wait past one window (never past two): see the sliding window's weighting.
          assert.isAtMost(retryAfter, 2 * 3600)
          assert.deepStrictEqual(Object.keys(denied.json as object), ["detail"])
          assert.strictEqual((yield* rowsFor(email)).length, 3, "a refused inquiry is not stored")

          const other = yield* call("POST", path, { body: form(uniqueEmail("other")) })
          assert.strictEqual(other.status, 201, other.text)
        }))

      it.effect("invalid forms do not spend the budget: the limit is checked after validation", () =>
        Effect.gen(function*() {
          const email = uniqueEmail("validated")
          for (let n = 0; n < 4; n++) {
            const invalid = yield* call("POST", path, { body: form(email, { first_name: "   " }) })
            assert.strictEqual(invalid.status, 422)
          }
          for (let n = 0; n < 3; n++) {
            const ok = yield* call("POST", path, { body: form(email) })
            assert.strictEqual(ok.status, 201, ok.text)
          }
        }))

      it.effect("case variants of one address share the budget and are stored lowercased", () =>
        Effect.gen(function*() {
          const email = "test@example.com"
          for (const variant of ["Test@EXAMPLE.COM", email, "TEST@Example.Com"]) {
            const ok = yield* call("POST", path, { body: form(variant) })
            assert.strictEqual(ok.status, 201, ok.text)
          }
          const denied = yield* call("POST", path, { body: form("Test@EXAMPLE.COM") })
          assert.strictEqual(denied.status, 429)
          assert.isDefined(denied.headers["retry-after"])
          const rows = yield* rowsFor(email)
          assert.deepStrictEqual(rows.map((row) => row.email), [email, email, email])
        }))
    })
  }
)
