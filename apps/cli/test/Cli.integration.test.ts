import { allQueueNames, Broker } from "@cuebx/broker"
import { DatabaseLive, dropDatabase } from "@cuebx/db"
import { spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { assert, it, layer } from "@effect/vitest"
import * as Amqp from "amqplib"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"

const run = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    const cli = yield* spawnProgram("apps/cli/src/main.ts", env, args)
    const code = yield* cli.exited
    return { code, output: cli.output().join("\n") }
  })

it.live("openapi prints the OpenAPI 3.1 document without any infrastructure", () =>
  Effect.gen(function*() {
    const { code, output } = yield* run(["openapi"], {
      DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none",
      REDIS_URL: "redis://127.0.0.1:1",
      RABBITMQ_URL: "amqp://127.0.0.1:1"
    })
    assert.strictEqual(code, 0)
    const document = JSON.parse(output) as { openapi: string; paths: Record<string, unknown> }
    assert.strictEqual(document.openapi, "3.1.0")
    assert.property(document.paths, "/health")
  }))

it.live("--help lists the commands", () =>
  Effect.gen(function*() {
    const { code, output } = yield* run(["--help"], {})
    assert.strictEqual(code, 0)
    assert.include(output, "migrate")
    assert.include(output, "openapi")
  }))

it.live("migrate refuses an insecure production configuration", () =>
  Effect.gen(function*() {
    const { code, output } = yield* run(["migrate"], { ENVIRONMENT: "production" })
    assert.strictEqual(code, 1)
    assert.include(output, "DATABASE_URL is not set")
  }))

layer(TestInfra.layer(), { excludeTestServices: true })("migrate", (it) => {
  it.effect("creates a missing database, applies the migrations, then reports it up to date", () =>
    Effect.gen(function*() {
      const { databaseUrl } = yield* TestEnvironment
      const fresh = new URL(Redacted.value(databaseUrl))
      fresh.pathname = `${fresh.pathname}_cli`
      const env = { DATABASE_URL: fresh.toString() }
      const first = yield* run(["migrate"], env)
      assert.strictEqual(first.code, 0, first.output)
      assert.include(first.output, "Created the database.")
      assert.include(first.output, "Applied 0001_core_foundation")
      const second = yield* run(["migrate"], env)
      assert.include(second.output, "Database is up to date.")
    }).pipe(Effect.ensuring(dropCliDatabase)))
})

const dropCliDatabase = Effect.gen(function*() {
  const { databaseUrl } = yield* TestEnvironment
  const fresh = new URL(Redacted.value(databaseUrl))
  fresh.pathname = `${fresh.pathname}_cli`
  yield* dropDatabase(Redacted.make(fresh.toString())).pipe(Effect.orDie)
})

const dlqInfra = Layer.mergeAll(DatabaseLive, Broker.layerConnected).pipe(
  Layer.provideMerge(TestInfra.layer({ queues: allQueueNames() }))
)

layer(dlqInfra, { excludeTestServices: true })("dlq", (it) => {
  it.effect("list shows pending dead letters; replay publishes one and marks it", () =>
    Effect.gen(function*() {
      const { env, queueSuffix } = yield* TestEnvironment
      const broker = yield* Broker
      yield* broker.isReady.pipe(Effect.repeat({ until: (ready) => ready, schedule: Schedule.spaced("50 millis") }))
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ readonly id: string }>`
        INSERT INTO dlq_messages (queue_name, original_queue, message_id, message_body, error_message, attempt_count)
        VALUES ('otp_emails_dead', 'otp_emails', 'cli-1', '{"email":"a@example.com","otp_code":"123456"}', 'Brevo said 500', 3)
        RETURNING id`

      const listed = yield* run(["dlq", "list"], env)
      assert.strictEqual(listed.code, 0, listed.output)
      assert.include(listed.output, row!.id)
      assert.include(listed.output, "otp_emails_dead")
      assert.include(listed.output, "Brevo said 500")
      const asJson = yield* run(["dlq", "list", "--json"], env)
      assert.include(asJson.output, "[REDACTED]")
      assert.notInclude(asJson.output, "123456")
      // The admin API's shape: lower-case status, ISO-8601 timestamps.
      const line = asJson.output.split("\n").find((candidate) => candidate.includes(row!.id))
      const shown = JSON.parse(line!) as Record<string, unknown>
      assert.strictEqual(shown["id"], row!.id)
      assert.strictEqual(shown["status"], "pending")
      assert.strictEqual(shown["error_message"], "Brevo said 500")
      assert.match(String(shown["created_at"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.isNull(shown["retried_at"])

      const replayed = yield* run(["dlq", "replay", row!.id], env)
      assert.strictEqual(replayed.code, 0, replayed.output)
      assert.include(replayed.output, `Replayed ${row!.id} to otp_emails.`)
      const [after] = yield* sql<{ readonly status: string }>`SELECT status FROM dlq_messages WHERE id = ${row!.id}`
      assert.strictEqual(after!.status, "RETRIED")
      const queued = yield* Effect.promise(async () => {
        const connection = await Amqp.connect(env["RABBITMQ_URL"]!)
        try {
          const channel = await connection.createChannel()
          return await channel.get(`otp_emails${queueSuffix}`, { noAck: true })
        } finally {
          await connection.close()
        }
      })
      assert.notStrictEqual(queued, false)

      const again = yield* run(["dlq", "replay", row!.id], env)
      assert.strictEqual(again.code, 1)
      assert.include(again.output, "is retried, not pending")
    }))
})
