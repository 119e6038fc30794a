/**
 * SalesInquiries on a real database: the form as the contract decodes it is stored in
 * `sales_requests` and its email enqueued in the same transaction, to `SALES_NOTIFICATION_EMAIL`
 * or else `ADMIN_ALERT_EMAIL`; with neither, the inquiry is stored and a warning logged.
 */
import { Outbox } from "@cuebx/broker"
import { ContactSalesRequest } from "@cuebx/contract"
import { DatabaseLive } from "@cuebx/db"
import { captureLogs, TestInfra } from "@cuebx/testing"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { SalesInquiries } from "../../src/support/SalesInquiries.ts"
import { SalesNotificationEmail } from "../../src/support/SupportConfig.ts"

const salesTeam = { SALES_NOTIFICATION_EMAIL: "sales@cuebx.example", ADMIN_ALERT_EMAIL: "ops@cuebx.example" }

/** Decodes the raw form like the API does, then submits it with these settings. */
const submit = (form: unknown, env: Readonly<Record<string, string>> = salesTeam) =>
  Effect.gen(function*() {
    const payload = yield* Schema.decodeUnknownEffect(ContactSalesRequest)(form)
    const inquiries = yield* SalesInquiries
    return yield* inquiries.submit({
      firstName: payload.first_name,
      lastName: payload.last_name,
      email: payload.email,
      message: payload.message ?? null
    })
  }).pipe(
    Effect.provide(SalesInquiries.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))))
  )

interface StoredRow {
  readonly firstName: string
  readonly lastName: string
  readonly email: string
  readonly message: string | null
  readonly status: string
  readonly isDeleted: boolean
  readonly createdAt: Date
  readonly txid: string
}

const storedRow = (id: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<StoredRow>`
      SELECT first_name, last_name, email, message, status, is_deleted, created_at, xmin::text AS txid
      FROM sales_requests WHERE id = ${id}`
    assert.strictEqual(rows.length, 1, `sales request ${id} is stored`)
    return rows[0]!
  })

const emailsOf = (id: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ readonly queue: string; readonly payload: unknown; readonly txid: string }>`
      SELECT queue, payload, xmin::text AS txid FROM outbox_messages WHERE payload->>'inquiry_id' = ${id}`
  })

layer(Outbox.layer.pipe(Layer.provideMerge(DatabaseLive), Layer.provideMerge(TestInfra.layer())), {
  excludeTestServices: true
})("SalesInquiries", (it) => {
  it.effect("stores the trimmed form with a lowercase email and enqueues its email in the same transaction", () =>
    Effect.gen(function*() {
      const receipt = yield* submit({
        first_name: "  John ",
        last_name: " Doe  ",
        email: " John.Doe@EXAMPLE.com ",
        message: "  We need 40 seats.\nCan we talk?  "
      })
      assert.strictEqual(receipt.status, "pending")
      const row = yield* storedRow(receipt.id)
      assert.deepInclude(row, {
        firstName: "John",
        lastName: "Doe",
        email: "john.doe@example.com",
        message: "We need 40 seats.\nCan we talk?",
        status: "pending",
        isDeleted: false
      })

      const emails = yield* emailsOf(receipt.id)
      assert.strictEqual(emails.length, 1)
      assert.strictEqual(emails[0]!.queue, "sales_inquiry_emails")
      assert.deepStrictEqual(emails[0]!.payload, {
        to: "sales@cuebx.example",
        inquiry_id: receipt.id,
        first_name: "John",
        last_name: "Doe",
        email: "john.doe@example.com",
        message: "We need 40 seats.\nCan we talk?",
        received_at: row.createdAt.toISOString()
      })
      // xmin is the id of the transaction that wrote the row: one transaction wrote both.
      assert.strictEqual(emails[0]!.txid, row.txid)
    }))

  it.effect("stores NULL and sends a null message when the form has none", () =>
    Effect.gen(function*() {
      for (const message of [undefined, null, "", "   "]) {
        const form = { first_name: "Jane", last_name: "Roe", email: "jane@example.com" }
        const receipt = yield* submit(message === undefined ? form : { ...form, message })
        assert.isNull((yield* storedRow(receipt.id)).message, JSON.stringify(message))
        const [email] = yield* emailsOf(receipt.id)
        assert.isNull((email!.payload as { message: unknown }).message)
      }
    }))

  it.effect("stores SQL-looking text literally", () =>
    Effect.gen(function*() {
      const hostile = "'); DROP TABLE sales_requests; --"
      const receipt = yield* submit({
        first_name: hostile,
        last_name: "Robert'); DELETE FROM outbox_messages; --",
        email: "bobby.tables@example.com",
        message: `${hostile}\n\\x27 OR 1=1 --`
      })
      const row = yield* storedRow(receipt.id)
      assert.strictEqual(row.firstName, hostile)
      assert.strictEqual(row.lastName, "Robert'); DELETE FROM outbox_messages; --")
      assert.strictEqual(row.message, `${hostile}\n\\x27 OR 1=1 --`)
      const [email] = yield* emailsOf(receipt.id)
      assert.strictEqual((email!.payload as { first_name: string }).first_name, hostile)
      const sql = yield* SqlClient.SqlClient
      const [tables] = yield* sql<{ readonly count: number }>`
        SELECT count(*)::int AS count FROM information_schema.tables
        WHERE table_name IN ('sales_requests', 'outbox_messages')`
      assert.strictEqual(tables!.count, 2)
    }))

  it.effect("falls back to ADMIN_ALERT_EMAIL when SALES_NOTIFICATION_EMAIL is unset or blank", () =>
    Effect.gen(function*() {
      for (
        const env of [{ ADMIN_ALERT_EMAIL: "ops@cuebx.example" }, { ...salesTeam, SALES_NOTIFICATION_EMAIL: "  " }]
      ) {
        const receipt = yield* submit({ first_name: "Ada", last_name: "Byron", email: "ada@example.com" }, env)
        const [email] = yield* emailsOf(receipt.id)
        assert.strictEqual((email!.payload as { to: string }).to, "ops@cuebx.example")
      }
    }))

  it.effect("with neither address set, stores the inquiry, enqueues nothing and logs a warning", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const receipt = yield* submit(
        { first_name: "Nobody", last_name: "Listens", email: "lonely@example.com", message: "Hello?" },
        { SALES_NOTIFICATION_EMAIL: "", ADMIN_ALERT_EMAIL: " " }
      ).pipe(Effect.provide(logs.layer))
      assert.strictEqual(receipt.status, "pending")
      assert.strictEqual((yield* storedRow(receipt.id)).message, "Hello?")
      assert.strictEqual((yield* emailsOf(receipt.id)).length, 0)
      const sql = yield* SqlClient.SqlClient
      const [unsent] = yield* sql<{ readonly count: number }>`
        SELECT count(*)::int AS count FROM outbox_messages WHERE payload->>'email' = 'lonely@example.com'`
      assert.strictEqual(unsent!.count, 0)
      const warnings = logs.lines.filter((line) => JSON.stringify(line.message).includes("SALES_NOTIFICATION_EMAIL"))
      assert.deepStrictEqual(warnings.map((line) => line.level), ["WARN"])
      assert.include(JSON.stringify(warnings[0]!.message), receipt.id)
    }))
})

const read = (env: Record<string, string>) =>
  SalesNotificationEmail.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

describe("SalesNotificationEmail", () => {
  it.effect("prefers SALES_NOTIFICATION_EMAIL (trimmed), then ADMIN_ALERT_EMAIL, else nobody", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        yield* read({ ...salesTeam, SALES_NOTIFICATION_EMAIL: " sales@cuebx.example " }),
        Option.some("sales@cuebx.example")
      )
      assert.deepStrictEqual(yield* read({ ADMIN_ALERT_EMAIL: "ops@cuebx.example" }), Option.some("ops@cuebx.example"))
      assert.deepStrictEqual(yield* read({}), Option.none())
      assert.deepStrictEqual(yield* read({ SALES_NOTIFICATION_EMAIL: "", ADMIN_ALERT_EMAIL: "" }), Option.none())
    }))

  it.effect("refuses a value that is not an email address, naming the variable", () =>
    Effect.gen(function*() {
      const sales = yield* read({ SALES_NOTIFICATION_EMAIL: "sales team" }).pipe(Effect.flip)
      assert.strictEqual(sales._tag, "ConfigError")
      assert.include(sales.message, "SALES_NOTIFICATION_EMAIL")
      const admin = yield* read({ ADMIN_ALERT_EMAIL: "ops" }).pipe(Effect.flip)
      assert.include(admin.message, "ADMIN_ALERT_EMAIL")
      // A valid sales address means ADMIN_ALERT_EMAIL is not needed, so it is not judged either.
      assert.deepStrictEqual(
        yield* read({ ...salesTeam, ADMIN_ALERT_EMAIL: "ops" }),
        Option.some("sales@cuebx.example")
      )
    }))
})
