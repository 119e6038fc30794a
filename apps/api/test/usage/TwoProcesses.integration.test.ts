/**
 * Two API processes sharing PostgreSQL and Redis, as two replicas would: together they never grant
 * more credits than the plan allows, however many validations race; a revoked key, a frozen
 * workspace and a changed plan take effect on both within a second; and Redis losing its data
 * or going away mid-run lets nobody spend more (credits live in PostgreSQL only).
 */
import { allQueueNames } from "@cuebx/broker"
import { OtpHmacSecret } from "@cuebx/config"
import { announce, DatabaseLive } from "@cuebx/db"
import { freePort, makeTcpProxy, spawnProgram, TestEnvironment, TestInfra } from "@cuebx/testing"
import { apiKeyHash } from "@cuebx/workspaces"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { Redis as IoRedis } from "ioredis"
import { createHash, randomBytes, randomUUID } from "node:crypto"

const entry = "apps/api/src/main.ts"
const internalKey = "internal_api_secret_change_in_production"

const Infra = DatabaseLive.pipe(Layer.provideMerge(TestInfra.layer({ queues: allQueueNames() })))

/** Two API processes for the whole file (their scope is the layer's). */
class TwoApis extends Context.Service<TwoApis, ReadonlyArray<string>>()("test/TwoApis") {}

/** An API process on its own port; `redisUrl` lets a test put Redis behind a proxy. */
const startApi = (extra: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const { env } = yield* TestEnvironment
    const port = yield* freePort
    const api = yield* spawnProgram(entry, {
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      ENABLE_MESSAGING: "false",
      RATE_LIMIT_BACKEND: "redis",
      QUOTA_CACHE_BACKEND: "redis",
      ...extra
    })
    yield* api.waitForOutput("CueBX API listening", "60 seconds")
    return `http://127.0.0.1:${port}`
  })

interface Fixture {
  readonly workspaceId: string
  readonly clientId: string
  readonly apiKey: string
  readonly keyId: string
  readonly planId: string
}

/** A workspace on the Basic plan with a live key, written as the API writes them. */
const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const secret = yield* OtpHmacSecret.config
  const [user] = yield* sql<{ readonly id: string }>`
    INSERT INTO users (email, full_name, email_verified, provisioned_at)
    VALUES (${`two-${randomUUID()}@example.com`}, 'Two Processes', true, now()) RETURNING id`
  const [workspace] = yield* sql<{ readonly id: string }>`
    INSERT INTO workspaces (display_name, slug, owner_id) VALUES ('Two', ${`two-${randomUUID()}`}, ${user!.id})
    RETURNING id`
  const workspaceId = workspace!.id
  yield* sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${workspaceId}, ${user!.id}, 'OWNER')`
  const [plan] = yield* sql<{ readonly id: string }>`SELECT id FROM plans WHERE product_type = 'API' AND name = 'Basic'`
  const [subscription] = yield* sql<{ readonly id: string }>`
    INSERT INTO subscriptions (plan_id, product_type, status, seat_count, current_period_start, current_period_end)
    VALUES (${plan!.id}, 'API', 'ACTIVE', 1, now(), now() + interval '30 days') RETURNING id`
  yield* sql`
    INSERT INTO api_subscription_contexts (subscription_id, workspace_id) VALUES (${subscription!.id}, ${workspaceId})`
  const apiKey = `cbx_live_${randomBytes(32).toString("base64url")}`
  const [key] = yield* sql<{ readonly id: string }>`
    INSERT INTO api_keys (workspace_id, name, key_hash, key_prefix)
    VALUES (${workspaceId}, 'two', ${apiKeyHash(secret, apiKey)}, ${apiKey.slice(0, 14)}) RETURNING id`
  return {
    workspaceId,
    clientId: `ws_${workspaceId.replaceAll("-", "")}`,
    apiKey,
    keyId: key!.id,
    planId: plan!.id
  } satisfies Fixture
})

const price = (planId: string, credits: string, perMinute: number | null) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(Effect.gen(function*() {
      yield* sql`
        UPDATE plan_pricing_rules SET credits_allocation = ${credits}::numeric, rate_limit_per_minute = ${perMinute},
          rate_limit_per_day = NULL
        WHERE plan_id = ${planId}`
      yield* announce("plan", planId)
    })))

const post = (base: string, path: string, body: unknown) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-internal-api-key": internalKey },
      body: JSON.stringify(body)
    })
    return {
      status: response.status,
      headers: response.headers,
      json: await response.json() as Record<string, unknown>
    }
  }).pipe(Effect.orDie)

const validateBody = (fixture: Fixture) => ({
  request_id: randomUUID(),
  client_id: fixture.clientId,
  feature_key: "api.extract_cues.resume",
  api_key: fixture.apiKey,
  endpoint: "/v1/x",
  method: "POST",
  payload_hash: createHash("sha256").update(randomUUID()).digest("hex")
})

const granted = (workspaceId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{ readonly granted: string; readonly charged: string; readonly pending: string }>`
      SELECT coalesce(sum(q.granted), 0)::text AS granted,
        (SELECT coalesce(sum(credits_charged), 0) FROM usage_logs WHERE workspace_id = ${workspaceId} AND status = 'SUCCESS')::text AS charged,
        (SELECT coalesce(sum(credits_reserved), 0) FROM usage_logs WHERE workspace_id = ${workspaceId} AND status = 'PENDING')::text AS pending
      FROM usage_quotas q WHERE q.owner_id = ${workspaceId}`.pipe(Effect.map((rows) => rows[0]!))
  )

const status = (fixture: Fixture) => (base: string) =>
  Effect.map(post(base, "/api/internal/usage/validate", validateBody(fixture)), (answer) => answer.status)

/** Polls every API until `done` holds for its answer; fails if that takes a second or more. */
const withinASecondOnEach = (
  bases: ReadonlyArray<string>,
  ask: (base: string) => Effect.Effect<boolean>,
  what: string
) =>
  Effect.forEach(bases, (base) =>
    ask(base).pipe(
      Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("20 millis") }),
      Effect.timeoutOrElse({
        duration: "1 second",
        orElse: () => Effect.die(new Error(`${what} not seen by ${base} within a second`))
      })
    ), { concurrency: "unbounded", discard: true })

const Apis = Layer.effect(TwoApis, Effect.all([startApi(), startApi()], { concurrency: "unbounded" })).pipe(
  Layer.provideMerge(Infra)
)

const timeout = 120_000

layer(Apis, { excludeTestServices: true, timeout })("two API processes", (it) => {
  it.effect(
    "W3: 1,000 concurrent validates grant at most the allowance, with two API processes",
    () =>
      Effect.gen(function*() {
        const bases = yield* TwoApis
        const fixture = yield* seed
        yield* price(fixture.planId, "100.00", 1_000_000)
        // Both processes applied the price before the race starts.
        yield* withinASecondOnEach(
          bases,
          (base) =>
            Effect.map(
              post(base, "/api/internal/usage/validate", validateBody(fixture)),
              (answer) => answer.headers.get("x-ratelimit-limit-minute") === "1000000"
            ),
          "the new price"
        )
        const before = Number((yield* granted(fixture.workspaceId)).granted)
        const answers = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, index) => bases[index % 2]!),
          (base) => post(base, "/api/internal/usage/validate", validateBody(fixture)),
          { concurrency: 100 }
        )
        const statuses = new Map<number, number>()
        for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
        const grants = statuses.get(200) ?? 0
        assert.strictEqual(grants + (statuses.get(429) ?? 0), 1000, JSON.stringify([...statuses]))
        assert.strictEqual(grants, 100 - before, "exactly what the allowance left, and never more")
        const ledger = yield* granted(fixture.workspaceId)
        assert.deepStrictEqual(ledger.granted, "100.00")
        assert.strictEqual(Number(ledger.charged) + Number(ledger.pending), 100)
      }),
    timeout
  )

  it.effect(
    "revoking a key, freezing a workspace or changing a plan takes effect within one second on every API process",
    () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const bases = yield* TwoApis
        const revoked = yield* seed
        yield* price(revoked.planId, "1000000.00", 1_000_000)
        for (const base of bases) assert.strictEqual(yield* status(revoked)(base), 200, "cached on both")
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`UPDATE api_keys SET is_active = false, revoked_at = now() WHERE id = ${revoked.keyId}`
          yield* announce("api_key", revoked.keyId)
        }))
        yield* withinASecondOnEach(bases, (base) =>
          Effect.map(status(revoked)(base), (code) => code === 401), "the revocation")

        const frozen = yield* seed
        for (const base of bases) {
          assert.strictEqual(yield* status(frozen)(base), 200)
        }
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`UPDATE workspaces SET status = 'FROZEN' WHERE id = ${frozen.workspaceId}`
          yield* announce("workspace", frozen.workspaceId)
        }))
        yield* withinASecondOnEach(bases, (base) =>
          Effect.map(status(frozen)(base), (code) =>
            code === 403), "the freeze")

        const moved = yield* seed
        for (const base of bases) {
          assert.strictEqual(yield* status(moved)(base), 200)
        }
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`
          UPDATE subscriptions SET plan_id = (SELECT id FROM plans WHERE product_type = 'API' AND name = 'Professional')
          WHERE id = (SELECT subscription_id FROM api_subscription_contexts WHERE workspace_id = ${moved.workspaceId})`
          yield* announce("subscription", moved.workspaceId)
        }))
        yield* withinASecondOnEach(
          bases,
          (base) =>
            Effect.map(post(base, "/api/internal/usage/validate", validateBody(moved)), (answer) =>
              answer.headers.get("x-ratelimit-limit-minute") === "300"),
          "the plan change"
        )
      }),
    timeout
  )

  it.effect(
    "Redis losing its data (FLUSHALL) or restarting mid-run never lets anyone spend more than the plan allows",
    () =>
      Effect.gen(function*() {
        const { env, redisKeyPrefix } = yield* TestEnvironment
        // Redis behind a proxy this test can cut, so the shared server is never touched.
        const proxy = yield* makeTcpProxy({ host: "127.0.0.1", port: 6379 })
        const viaProxy = `redis://127.0.0.1:${proxy.port}/0`
        const bases = yield* Effect.all([
          startApi({ REDIS_URL: viaProxy, REDIS_COMMAND_TIMEOUT: "200 millis" }),
          startApi({ REDIS_URL: viaProxy, REDIS_COMMAND_TIMEOUT: "200 millis" })
        ], { concurrency: "unbounded" })
        const fixture = yield* seed
        yield* price(fixture.planId, "60.00", 1_000_000)
        yield* Effect.sleep("300 millis")
        const redis = new IoRedis(env["REDIS_URL"]!)
        const flush = Effect.promise(async () => {
          // What FLUSHALL does to this deployment: every key under its prefix is gone.
          const keys = await redis.keys(`${redisKeyPrefix}*`)
          if (keys.length > 0) await redis.del(...keys)
        })
        const pairs = Effect.forEach(
          Array.from({ length: 200 }, (_, index) => bases[index % 2]!),
          (base) =>
            Effect.gen(function*() {
              const answer = yield* post(base, "/api/internal/usage/validate", validateBody(fixture))
              if (answer.status !== 200) return answer.status
              const usageId = answer.json["usage_id"]
              // A quarter fail: their credits come back and are granted again.
              const success = Math.random() < 0.75
              yield* post(base, "/api/internal/usage/commit", {
                api_key: fixture.apiKey,
                usage_id: usageId,
                success,
                ...(success ? {} : { failure: { failure_type: "upstream_error", reason: "test" } })
              })
              return 200
            }),
          { concurrency: 20 }
        )
        const disruptions = Effect.gen(function*() {
          yield* Effect.sleep("100 millis")
          yield* flush
          yield* Effect.sleep("100 millis")
          proxy.cut()
          yield* Effect.sleep("500 millis")
          proxy.restore()
          yield* Effect.sleep("100 millis")
          yield* flush
        })
        const [statuses] = yield* Effect.all([pairs, disruptions], { concurrency: "unbounded" })
        redis.disconnect()
        const ledger = yield* granted(fixture.workspaceId)
        assert.isAtMost(Number(ledger.granted), 60, JSON.stringify(ledger))
        assert.strictEqual(Number(ledger.granted), Number(ledger.charged) + Number(ledger.pending))
        assert.isAtMost(Number(ledger.charged), 60)
        assert.isTrue(statuses.every((code) => code === 200 || code === 429), JSON.stringify(statuses))
      }),
    timeout
  )
})
