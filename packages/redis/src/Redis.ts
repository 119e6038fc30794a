/**
 * The Redis connection every program shares (ioredis), with every key under `REDIS_KEY_PREFIX`
 * so several deployments or test runs can share one server. Domain code builds its own commands
 * on `client`; this service owns connecting, health and shutdown.
 */
import { Config, Context, Data, Duration, Effect, Layer, Redacted } from "effect"
import { Redis as IoRedis } from "ioredis"

export class RedisError extends Data.TaggedError("RedisError")<{ readonly cause: unknown }> {}

export const RedisSettings = Config.all({
  url: Config.Redacted("REDIS_URL").pipe(Config.withDefault(Redacted.make("redis://localhost:6379/0"))),
  keyPrefix: Config.String("REDIS_KEY_PREFIX").pipe(Config.withDefault("cuebx:")),
  commandTimeout: Config.Duration("REDIS_COMMAND_TIMEOUT").pipe(Config.withDefault(Duration.seconds(2)))
})
export type RedisSettings = Config.Success<typeof RedisSettings>

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
            Effect.promise(() => connection.quit().catch(() => connection.disconnect())).pipe(
              Effect.timeout("2 seconds"),
              Effect.ignore
            )
        )
        // Redis being down must not stop a program from starting: /health/ready reports it.
        client.on("error", () => undefined)
        yield* Effect.tryPromise(() => client.connect()).pipe(
          Effect.timeout("5 seconds"),
          Effect.tapError((cause) =>
            Effect.logWarning("Redis is not reachable yet; retrying in the background", cause)
          ),
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
