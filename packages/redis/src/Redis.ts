/**
 * The Redis connection every program shares (ioredis), with every key under `REDIS_KEY_PREFIX`
 * so several deployments or test runs can share one server. Domain code builds its own commands
 * on `client`; this service owns connecting, health, reporting connection trouble and shutdown.
 */
import { developmentRedisUrl } from "@cuebx/config"
import { Clock, Config, Context, Data, Duration, Effect, FiberSet, Layer, Redacted } from "effect"
import { Redis as IoRedis } from "ioredis"

export class RedisError extends Data.TaggedError("RedisError")<{ readonly cause: unknown }> {}

export const RedisSettings = Config.all({
  url: Config.Redacted("REDIS_URL").pipe(Config.withDefault(Redacted.make(developmentRedisUrl))),
  keyPrefix: Config.String("REDIS_KEY_PREFIX").pipe(Config.withDefault("cuebx:")),
  commandTimeout: Config.Duration("REDIS_COMMAND_TIMEOUT").pipe(Config.withDefault(Duration.seconds(2)))
})
export type RedisSettings = Config.Success<typeof RedisSettings>

/** While Redis stays unreachable, a reminder is logged at most this often. */
const reportIntervalMillis = 60_000

/**
 * Reports connection trouble without flooding: ioredis emits an error (or a close) per
 * reconnection attempt, so the first of an outage is logged, then a reminder (with how many
 * failures it stands for) at most once per interval, then the recovery.
 */
const makeConnectionReporter = Effect.gen(function*() {
  const run = yield* FiberSet.makeRuntime<never, void, never>()
  let failing = false
  let reportedAt = 0
  let unreported = 0
  const failed = (error: unknown) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (!failing) {
        failing = true
        reportedAt = now
        unreported = 0
        return yield* Effect.logWarning("Redis connection lost; reconnecting in the background", error)
      }
      unreported++
      if (now - reportedAt < reportIntervalMillis) return
      yield* Effect.logWarning("Redis is still unreachable; reconnecting in the background", {
        failures_since_last_report: unreported
      }, error)
      reportedAt = now
      unreported = 0
    })
  const recovered = Effect.suspend(() => {
    if (!failing) return Effect.void
    failing = false
    return Effect.logInfo("Redis connection restored")
  })
  return {
    error: (error: unknown) => void run(failed(error)),
    ready: () => void run(recovered)
  }
})

export class Redis extends Context.Service<Redis, {
  /** Prefixes every key it is given with `keyPrefix` (not patterns of SCAN/KEYS). */
  readonly client: IoRedis
  readonly keyPrefix: string
  /** Runs one command, failing with `RedisError` when Redis is unreachable or refuses it. */
  use<A>(f: (client: IoRedis) => Promise<A>): Effect.Effect<A, RedisError>
  readonly ping: Effect.Effect<boolean>
}>()("@cuebx/redis/Redis") {
  static readonly layerFromSettings = (settings: RedisSettings) =>
    Layer.effect(
      Redis,
      Effect.gen(function*() {
        const client = yield* Effect.acquireRelease(
          Effect.sync(() =>
            new IoRedis(Redacted.value(settings.url), {
              keyPrefix: settings.keyPrefix,
              lazyConnect: true,
              maxRetriesPerRequest: 1,
              commandTimeout: Duration.toMillis(settings.commandTimeout),
              // Reconnect forever with a capped backoff; commands fail fast meanwhile.
              retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000)
            })
          ),
          (connection) =>
            Effect.promise(() => {
              // Closing at shutdown is no outage to report.
              connection.removeAllListeners("close").removeAllListeners("error").on("error", () => undefined)
              return connection.quit().catch(() => connection.disconnect())
            }).pipe(
              Effect.timeout("2 seconds"),
              Effect.ignore
            )
        )
        // Redis being down must not stop a program from starting: /health/ready reports it, and
        // the log says so once per outage.
        const reporter = yield* makeConnectionReporter
        client.on("error", reporter.error)
        client.on("close", () => reporter.error("the connection closed"))
        client.on("ready", reporter.ready)
        yield* Effect.tryPromise(() => client.connect()).pipe(
          Effect.timeout("5 seconds"),
          Effect.tapError((cause) => Effect.sync(() => reporter.error(cause))),
          Effect.ignore
        )
        const use = <A>(f: (client: IoRedis) => Promise<A>) =>
          Effect.tryPromise({ try: () => f(client), catch: (cause) => new RedisError({ cause }) })
        const ping = use((c) => c.ping()).pipe(
          Effect.map((answer) => answer === "PONG"),
          Effect.timeout(settings.commandTimeout),
          Effect.orElseSucceed(() => false)
        )
        return Redis.of({ client, keyPrefix: settings.keyPrefix, use, ping })
      })
    )

  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    return Redis.layerFromSettings(yield* RedisSettings)
  }))
}
