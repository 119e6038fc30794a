import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import * as Amqp from "amqplib"
import { Effect, Layer, Redacted } from "effect"
import { Redis as IoRedis } from "ioredis"
import { TestEnvironment, TestInfra, TestSettings } from "../src/TestInfra.ts"

const databaseExists = (name: string) =>
  Effect.gen(function*() {
    const { serverUrl } = yield* TestSettings
    const rows = yield* Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      return yield* sql`SELECT 1 FROM pg_database WHERE datname = ${name}`
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(serverUrl) })))
    return rows.length > 0
  }).pipe(Effect.orDie)

const withRedis = <A>(use: (client: IoRedis) => Promise<A>) =>
  Effect.gen(function*() {
    const { redisUrl } = yield* TestSettings
    return yield* Effect.promise(async () => {
      const client = new IoRedis(redisUrl)
      try {
        return await use(client)
      } finally {
        client.disconnect()
      }
    })
  }).pipe(Effect.orDie)

const withAmqp = <A>(use: (connection: Amqp.ChannelModel) => Promise<A>) =>
  Effect.gen(function*() {
    const { rabbitmqUrl } = yield* TestSettings
    return yield* Effect.promise(async () => {
      const connection = await Amqp.connect(rabbitmqUrl)
      try {
        return await use(connection)
      } finally {
        await connection.close().catch(() => undefined)
      }
    })
  }).pipe(Effect.orDie)

const queueExists = (name: string) =>
  withAmqp(async (connection) => {
    const channel = await connection.createChannel()
    channel.on("error", () => undefined)
    return channel.checkQueue(name).then(() => true, () => false)
  })

const declareQueue = (name: string) =>
  withAmqp(async (connection) => {
    await (await connection.createChannel()).assertQueue(name, { durable: true })
  })

/** A test id as TestInfra makes them: creation second in base 36, then 12 hex digits. */
const idAt = (millis: number, random: string) => `${Math.floor(millis / 1000).toString(36)}_${random}`

describe("TestInfra", () => {
  it.live("gives each user its own database, key prefix and queue suffix, and removes them afterwards", () =>
    Effect.gen(function*() {
      const seen = yield* Effect.scoped(Effect.gen(function*() {
        const [first, second] = yield* Effect.all([
          Layer.build(TestInfra.layer({ queues: ["probe_queue"] })),
          Layer.build(TestInfra.layer())
        ], { concurrency: 2 })
        const a = first.mapUnsafe.get(TestEnvironment.key) as TestEnvironment["Service"]
        const b = second.mapUnsafe.get(TestEnvironment.key) as TestEnvironment["Service"]
        assert.notStrictEqual(Redacted.value(a.databaseUrl), Redacted.value(b.databaseUrl))
        assert.notStrictEqual(a.redisKeyPrefix, b.redisKeyPrefix)
        assert.notStrictEqual(a.queueSuffix, b.queueSuffix)

        const database = new URL(Redacted.value(a.databaseUrl)).pathname.slice(1)
        assert.match(database, /^cuebx_test_[0-9a-z]+_[0-9a-f]{12}$/)
        assert.isTrue(yield* databaseExists(database))
        yield* withRedis((client) => client.set(`${a.redisKeyPrefix}left-behind`, "1"))
        yield* declareQueue(`probe_queue${a.queueSuffix}`)
        assert.isTrue(yield* queueExists(`probe_queue${a.queueSuffix}`))
        return { database, prefix: a.redisKeyPrefix, queue: `probe_queue${a.queueSuffix}` }
      }))

      assert.isFalse(yield* databaseExists(seen.database))
      assert.deepStrictEqual(yield* withRedis((client) => client.keys(`${seen.prefix}*`)), [])
      assert.isFalse(yield* queueExists(seen.queue))
    }))

  it.live("sweeps the databases, keys and queues a killed run left, once they are hours old, and nothing younger", () =>
    Effect.gen(function*() {
      const { serverUrl } = yield* TestSettings
      const stale = `cuebx_test_${idAt(Date.now() - 4 * 3600_000, "0123456789ab")}`
      const recent = `cuebx_test_${idAt(Date.now() - 10 * 60_000, "ba9876543210")}`
      const foreign = "cuebx_test_not_ours"
      yield* Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        for (const name of [stale, recent, foreign]) yield* sql.unsafe(`CREATE DATABASE "${name}"`)
      }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(serverUrl) })), Effect.orDie)
      yield* withRedis((client) => client.mset(`${stale}:key`, "1", `${recent}:key`, "1"))
      const staleQueue = `probe_queue.test_${stale.slice("cuebx_test_".length)}`
      yield* declareQueue(staleQueue)

      yield* Effect.scoped(Layer.build(TestInfra.layer({ queues: ["probe_queue"] })))

      assert.isFalse(yield* databaseExists(stale))
      assert.isTrue(yield* databaseExists(recent))
      assert.isTrue(yield* databaseExists(foreign), "a name of another shape is not ours to judge")
      assert.deepStrictEqual(yield* withRedis((client) => client.exists(`${stale}:key`, `${recent}:key`)), 1)
      assert.isFalse(yield* queueExists(staleQueue))
      yield* Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        for (const name of [recent, foreign]) yield* sql.unsafe(`DROP DATABASE "${name}"`)
      }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(serverUrl) })), Effect.orDie)
      yield* withRedis((client) => client.del(`${recent}:key`))
    }))
})
