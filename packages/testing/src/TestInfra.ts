/**
 * Isolated real infrastructure for one test file: a fresh, migrated database
 * `cuebx_test_<created>_<random>`, a random Redis key prefix and a random RabbitMQ queue suffix.
 * The layer installs a ConfigProvider pointing every program layer at them, and removes all three
 * when it is released, so concurrent test runs on one machine never see each other's data. What a
 * killed run could not remove (its database and Redis keys) is swept by a later run once it is
 * older than any test file can be.
 */
import { dropDatabase, ensureDatabase, layerFromSettings, listDatabases, runMigrations } from "@cuebx/db"
import { NodeServices } from "@effect/platform-node"
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

const testNamePrefix = "cuebx_test_"

/** `<seconds since the epoch, base 36>_<random>`: unique, and telling when it was made. */
const newTestId = (nowMillis: number) =>
  `${Math.floor(nowMillis / 1000).toString(36)}_${randomBytes(6).toString("hex")}`

const queueSuffixOf = (id: string) => `.test_${id}`

/** Far longer than a test file runs: anything older was left by a killed run. */
const staleAfterMillis = 3 * 60 * 60 * 1000

/** When a test id was made; `undefined` for a name of another shape (left as it is). */
const createdMillis = (id: string): number | undefined => {
  const match = /^([0-9a-z]+)_[0-9a-f]{12}$/.exec(id)
  return match === null ? undefined : parseInt(match[1]!, 36) * 1000
}

const isStale = (id: string, nowMillis: number) => {
  const created = createdMillis(id)
  return created !== undefined && nowMillis - created > staleAfterMillis
}

const testDatabaseUrl = (serverUrl: string, name: string) => {
  const url = new URL(serverUrl.replace(/^(postgres(?:ql)?)\+[a-z0-9]+:\/\//i, "$1://"))
  url.pathname = `/${name}`
  return Redacted.make(url.toString())
}

/** Deletes the keys matching `pattern` that `select` picks (all by default). */
const deleteRedisKeys = (redisUrl: string, pattern: string, select: (key: string) => boolean = () => true) =>
  Effect.promise(async () => {
    const client = new IoRedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await client.connect()
      let cursor = "0"
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 500)
        const selected = keys.filter(select)
        if (selected.length > 0) await client.del(...selected)
        cursor = next
      } while (cursor !== "0")
    } finally {
      client.disconnect()
    }
  })

/**
 * Drops the test databases and Redis keys of runs that were killed before cleaning up, and their
 * queues among `queues` (RabbitMQ cannot list queues over AMQP: a run sweeps the names it knows).
 */
const sweepStaleRuns = (
  settings: Config.Success<typeof TestSettings>,
  queues: ReadonlyArray<string>,
  nowMillis: number
) =>
  Effect.gen(function*() {
    const server = testDatabaseUrl(settings.serverUrl, "postgres")
    const staleIds = (yield* listDatabases(server, testNamePrefix))
      .map((name) => name.slice(testNamePrefix.length))
      .filter((id) => isStale(id, nowMillis))
    for (const id of staleIds) {
      yield* dropDatabase(testDatabaseUrl(settings.serverUrl, `${testNamePrefix}${id}`))
      yield* deleteQueues(settings.rabbitmqUrl, queues.map((name) => name + queueSuffixOf(id)))
    }
    yield* deleteRedisKeys(
      settings.redisUrl,
      `${testNamePrefix}*`,
      (key) => isStale(key.slice(testNamePrefix.length).split(":")[0]!, nowMillis)
    )
  }).pipe(
    Effect.timeout("20 seconds"),
    Effect.catchCause((cause) => Effect.logWarning("Could not sweep what earlier test runs left", cause))
  )

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
      // Wall-clock time, not the Clock: ids must compare across runs even under a TestClock.
      const now = yield* Effect.sync(() => Date.now())
      yield* sweepStaleRuns(settings, options.queues ?? [], now)
      const id = newTestId(now)
      const databaseUrl = testDatabaseUrl(settings.serverUrl, `${testNamePrefix}${id}`)
      const redisKeyPrefix = `${testNamePrefix}${id}:`
      const queueSuffix = queueSuffixOf(id)

      yield* Effect.acquireRelease(
        ensureDatabase(databaseUrl).pipe(
          Effect.andThen(runMigrations.pipe(
            Effect.provide(layerFromSettings({ url: databaseUrl, maxConnections: 2, connectTimeoutSeconds: 10 })),
            Effect.provide(NodeServices.layer)
          ))
        ),
        () =>
          Effect.all(
            [
              dropDatabase(databaseUrl),
              deleteRedisKeys(settings.redisUrl, `${redisKeyPrefix}*`),
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
        // Emails go to Brevo (a fake, where a test sets BREVO_BASE_URL), not to the mail folder.
        BREVO_API_KEY: "xkeysib-test-key",
        // Never the real Brevo: a closed local port refuses at once. Reaching out (a lookup or a
        // connection that hangs on a closed network) kept consumers inside their transactions for
        // the whole timeout and starved the test's pool.
        BREVO_BASE_URL: "http://127.0.0.1:9/v3",
        ...options.env
      }
      return Layer.mergeAll(
        ConfigProvider.layer(ConfigProvider.orElse(ConfigProvider.fromUnknown(env), ConfigProvider.fromEnv())),
        Layer.succeed(TestEnvironment, TestEnvironment.of({ databaseUrl, redisKeyPrefix, queueSuffix, env }))
      )
    }))
}
