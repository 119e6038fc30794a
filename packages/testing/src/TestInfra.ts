/**
 * Isolated real infrastructure for one test file: a fresh, migrated database
 * `cuebx_test_<random>`, a random Redis key prefix and a random RabbitMQ queue suffix. The layer
 * installs a ConfigProvider pointing every program layer at them, and removes all three when it
 * is released, so concurrent test runs on one machine never see each other's data.
 */
import { dropDatabase, ensureDatabase, layerFromSettings, runMigrations } from "@cuebx/db"
import * as Amqp from "amqplib"
import { Config, ConfigProvider, Context, Effect, Layer, Redacted } from "effect"
import { Redis as IoRedis } from "ioredis"
import { randomBytes } from "node:crypto"

export const TestSettings = Config.all({
  /** Any database on the server where the test databases are created. */
  serverUrl: Config.String("TEST_DATABASE_URL").pipe(
    Config.withDefault("postgresql://postgres@127.0.0.1:5432/postgres")
  ),
  redisUrl: Config.String("REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379/0")),
  rabbitmqUrl: Config.String("RABBITMQ_URL").pipe(Config.withDefault("amqp://guest:guest@127.0.0.1:5672"))
})

export class TestEnvironment extends Context.Service<TestEnvironment, {
  readonly databaseUrl: Redacted.Redacted<string>
  readonly redisKeyPrefix: string
  readonly queueSuffix: string
  /** The configuration the program layers see (also available as the ConfigProvider). */
  readonly env: Readonly<Record<string, string>>
}>()("@cuebx/testing/TestEnvironment") {}

export interface TestInfraOptions {
  /** Extra configuration for the programs under test (fake service URLs, limits, flags). */
  readonly env?: Readonly<Record<string, string>>
  /** Logical queue names this file declares; their suffixed queues are deleted afterwards. */
  readonly queues?: ReadonlyArray<string>
}

const randomId = () => randomBytes(6).toString("hex")

const testDatabaseUrl = (serverUrl: string, name: string) => {
  const url = new URL(serverUrl.replace(/^(postgres(?:ql)?)\+[a-z0-9]+:\/\//i, "$1://"))
  url.pathname = `/${name}`
  return Redacted.make(url.toString())
}

const deleteRedisKeys = (redisUrl: string, prefix: string) =>
  Effect.promise(async () => {
    const client = new IoRedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await client.connect()
      let cursor = "0"
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== "0")
    } finally {
      client.disconnect()
    }
  })

const deleteQueues = (rabbitmqUrl: string, names: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    if (names.length === 0) return
    const connection = await Amqp.connect(rabbitmqUrl)
    try {
      const channel = await connection.createChannel()
      for (const name of names) await channel.deleteQueue(name)
    } finally {
      await connection.close()
    }
  })

export const TestInfra = {
  layer: (options: TestInfraOptions = {}) =>
    Layer.unwrap(Effect.gen(function*() {
      const settings = yield* TestSettings
      const id = randomId()
      const databaseUrl = testDatabaseUrl(settings.serverUrl, `cuebx_test_${id}`)
      const redisKeyPrefix = `cuebx_test_${id}:`
      const queueSuffix = `.test_${id}`

      yield* Effect.acquireRelease(
        ensureDatabase(databaseUrl).pipe(
          Effect.andThen(runMigrations.pipe(
            Effect.provide(layerFromSettings({ url: databaseUrl, maxConnections: 2, connectTimeoutSeconds: 10 }))
          ))
        ),
        () =>
          Effect.all(
            [
              dropDatabase(databaseUrl),
              deleteRedisKeys(settings.redisUrl, redisKeyPrefix),
              deleteQueues(settings.rabbitmqUrl, (options.queues ?? []).map((name) => name + queueSuffix))
            ].map((cleanup) =>
              cleanup.pipe(
                Effect.timeout("20 seconds"),
                Effect.catchCause((cause) => Effect.logWarning("Test infrastructure not fully cleaned up", cause))
              )
            ),
            { concurrency: "unbounded", discard: true }
          )
      )

      const env: Record<string, string> = {
        ENVIRONMENT: "test",
        DATABASE_URL: Redacted.value(databaseUrl),
        DB_POOL_MAX: "5",
        REDIS_URL: settings.redisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        RABBITMQ_URL: settings.rabbitmqUrl,
        RABBITMQ_QUEUE_SUFFIX: queueSuffix,
        ...options.env
      }
      return Layer.mergeAll(
        ConfigProvider.layer(ConfigProvider.orElse(ConfigProvider.fromUnknown(env), ConfigProvider.fromEnv())),
        Layer.succeed(TestEnvironment, TestEnvironment.of({ databaseUrl, redisKeyPrefix, queueSuffix, env }))
      )
    }))
}
