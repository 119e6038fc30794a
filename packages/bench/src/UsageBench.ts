/**
 * Metered usage (validate + commit pairs) of the real system against this machine's speed limit:
 * `npm start`'s three programs (API, worker, scheduler) on a fresh database, one workspace with a
 * live key and a known allowance seeded through the API and its own tables, driven over REST
 * (`harness/drive.mjs`, which speaks only the REST contract) and over the typed RPC (the same
 * driver, `--protocol rpc`), side by side with the limit harness (`harness/limit-server.mjs`).
 * Then the same REST runs with 1,000,000 usage rows already in the table. Prints one table and,
 * last, `REST/limit at 64 connections: 0.NN`.
 */
import { hash } from "@node-rs/argon2"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import pg from "pg"
import { memoryOf, type Program, programEntries, programFlags, run, sleep, stop, waitFor } from "./Programs.ts"

const { values: options } = parseArgs({
  options: {
    "api-root": { type: "string", default: resolve(import.meta.dirname, "../../..") },
    connections: { type: "string", default: "1 16 64" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    repeat: { type: "string", default: "2" },
    preload: { type: "string", default: "1000000" },
    "api-port": { type: "string", default: "18200" },
    "limit-port": { type: "string", default: "18201" },
    /** Extra `node` arguments for the API process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
    "api-node-args": { type: "string", default: "" },
    /** Only these of `rest rpc limit`. */
    targets: { type: "string", default: "rest rpc limit" }
  }
})

const harness = resolve(import.meta.dirname, "../harness")
const serverUrl = process.env["BENCH_DATABASE_SERVER"] ?? "postgresql://postgres@127.0.0.1:5432"
const databaseName = "cuebx_bench_usage"
const databaseUrl = `${serverUrl}/${databaseName}`
const apiRoot = resolve(options["api-root"])
const node = process.execPath
const internalKey = "bench-internal-secret-0123456789abcdef"
const email = "usage-bench@example.com"
const password = "bench-password-123"
const allowance = "1000000000.00"
const workDir = join(tmpdir(), `cuebx-usage-bench-${process.pid}`)
mkdirSync(workDir, { recursive: true })

/** Runs a harness script; resolves with its exit code (the driver exits 4 when a check fails). */
const script = (args: ReadonlyArray<string>) =>
  new Promise<number>((done) => {
    const child = spawn(node, args, { cwd: harness, stdio: ["ignore", "ignore", "inherit"] })
    child.on("exit", (code) => done(code ?? 1))
  })

const withClient = async <A>(url: string, use: (client: pg.Client) => Promise<A>) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

const programEnv = (apiPort: number) => ({
  DATABASE_URL: databaseUrl,
  PORT: String(apiPort),
  HOST: "127.0.0.1",
  REDIS_KEY_PREFIX: "cuebx_bench_usage:",
  RABBITMQ_QUEUE_SUFFIX: ".bench_usage",
  RATE_LIMIT_BACKEND: "redis",
  QUOTA_CACHE_BACKEND: "redis",
  INTERNAL_API_SECRET: internalKey
})

const startPrograms = (apiPort: number, entries: Record<Program, string>) =>
  Object.fromEntries((["api", "worker", "scheduler"] as const).map((name) => [
    name,
    spawn(node, [
      ...programFlags,
      ...(name === "api" ? options["api-node-args"].split(/\s+/).filter(Boolean) : []),
      entries[name]
    ], {
      cwd: apiRoot,
      env: { ...process.env, ...programEnv(apiPort) },
      stdio: ["ignore", "ignore", "inherit"]
    })
  ])) as Record<Program, ChildProcess>

/** A signed-in owner, a team workspace on the API Basic plan priced for the bench, and a live key. */
const seedApi = async (apiPort: number) => {
  const base = `http://127.0.0.1:${apiPort}`
  const passwordHash = await hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 })
  await withClient(databaseUrl, (client) =>
    client.query(
      `INSERT INTO users (email, password_hash, full_name, email_verified, provisioned_at)
       VALUES ($1, $2, 'Usage Bench', true, now())`,
      [email, passwordHash]
    ))
  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body)
    })
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
    return response.json() as Promise<Record<string, unknown>>
  }
  const { access_token: token } = await post("/auth/signin", { email, password }) as { access_token: string }
  const { id: workspaceId } = await post("/api/workspaces", { display_name: "Usage Bench" }, token) as { id: string }
  // Checkout does this once billing is wired to Stripe; the bench puts the workspace on a plan directly.
  await withClient(databaseUrl, async (client) => {
    await client.query("BEGIN")
    const { rows: [plan] } = await client.query(
      "SELECT id FROM plans WHERE product_type = 'API' AND name = 'Basic'"
    )
    const { rows: [subscription] } = await client.query(
      `INSERT INTO subscriptions (plan_id, product_type, status, seat_count, current_period_start, current_period_end)
       VALUES ($1, 'API', 'ACTIVE', 1, now(), now() + interval '30 days') RETURNING id`,
      [plan.id]
    )
    await client.query(
      `INSERT INTO api_subscription_contexts (subscription_id, workspace_id) VALUES ($1, $2)
       ON CONFLICT (workspace_id) DO UPDATE SET subscription_id = EXCLUDED.subscription_id`,
      [subscription.id, workspaceId]
    )
    // Limits far above the offered load (the sliding window's arithmetic stays exact), as the harness's README asks.
    await client.query(
      `UPDATE plan_pricing_rules SET credits_allocation = $2, rate_limit_per_minute = 100000000,
         rate_limit_per_day = 50000000 WHERE plan_id = $1`,
      [plan.id, allowance]
    )
    await client.query("SELECT pg_notify('cuebx_changes', $1)", [JSON.stringify({ kind: "plan", id: plan.id })])
    await client.query("SELECT pg_notify('cuebx_changes', $1)", [
      JSON.stringify({ kind: "subscription", id: workspaceId })
    ])
    await client.query("COMMIT")
  })
  const { api_key: apiKey } = await post(`/api/workspaces/${workspaceId}/api-keys`, { name: "bench" }, token) as {
    api_key: string
  }
  return { workspaceId, clientId: `ws_${workspaceId.replaceAll("-", "")}`, apiKey }
}

/** What the workspace may still spend: the allowance minus what its quota has granted. */
const remainingCredits = (workspaceId: string) =>
  withClient(databaseUrl, async (client) => {
    const { rows } = await client.query(
      `SELECT ($2::numeric - coalesce(sum(granted), 0))::text AS remaining FROM usage_quotas
       WHERE owner_id = $1 AND period_end > now()`,
      [workspaceId, allowance]
    )
    return rows[0].remaining as string
  })

/** Postgres's ledger of the bench workspace: nothing granted above the allowance, the quota equal to its rows. */
const audit = (workspaceId: string) =>
  withClient(databaseUrl, async (client) => {
    const { rows } = await client.query(
      `SELECT q.allowance::text, q.granted::text,
         (SELECT coalesce(sum(credits_charged), 0) FROM usage_logs WHERE quota_id = q.id AND status = 'SUCCESS')::text AS charged,
         (SELECT coalesce(sum(credits_reserved), 0) FROM usage_logs WHERE quota_id = q.id AND status = 'PENDING')::text AS pending,
         (SELECT count(*) FROM usage_logs WHERE quota_id = q.id AND status = 'SUCCESS')::int AS successes,
         q.granted <= q.allowance AS within,
         q.granted = (SELECT coalesce(sum(credits_charged), 0) FROM usage_logs WHERE quota_id = q.id AND status = 'SUCCESS')
           + (SELECT coalesce(sum(credits_reserved), 0) FROM usage_logs WHERE quota_id = q.id AND status = 'PENDING') AS balanced
       FROM usage_quotas q WHERE q.owner_id = $1`,
      [workspaceId]
    )
    return rows as ReadonlyArray<
      {
        allowance: string
        granted: string
        charged: string
        pending: string
        successes: number
        within: boolean
        balanced: boolean
      }
    >
  })

/** One million usage rows of other workspaces, committed, as a long-running deployment has. */
const preload = (rows: number) =>
  withClient(databaseUrl, async (client) => {
    await client.query(`
      INSERT INTO usage_logs (id, api_key_id, workspace_id, feature_key, request_id, fingerprint_hash, access_status,
        status, endpoint, method, credits_reserved, credits_charged, committed_at, created_at)
      SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad(to_hex(n % 1000), 12, '0'))::uuid,
        ('00000000-0000-4000-9000-' || lpad(to_hex(n % 1000), 12, '0'))::uuid,
        'API_EXTRACT_CUES_RESUME', 'preload_' || n, md5(n::text) || md5((n + 1)::text), 'granted', 'SUCCESS',
        '/v1/extract-cues/resume', 'POST', 1, 1, now() - (n || ' seconds')::interval, now() - (n || ' seconds')::interval
      FROM generate_series(1, ${rows}) AS n`)
    await client.query("VACUUM ANALYZE usage_logs")
    await client.query("CHECKPOINT")
  })

interface Drive {
  readonly rate_per_s: number
  readonly errors: number
  readonly latency_ms: { readonly iteration: { readonly p50: number | null; readonly p99: number | null } }
  readonly checks: { readonly ok: boolean; readonly overspend_ok: boolean; readonly overspend_checked: boolean }
  readonly window: { readonly denied: number }
}

let runCounter = 0
const drive = async (
  target: string,
  keysFile: string,
  connections: number,
  extra: ReadonlyArray<string>,
  watch: string
): Promise<Drive & { readonly exitCode: number }> => {
  const out = join(workDir, `drive-${runCounter++}.json`)
  const exitCode = await script([
    "drive.mjs",
    "--target",
    target,
    "--keys",
    keysFile,
    "--mode",
    "pair",
    "--connections",
    String(connections),
    "--duration",
    options.duration,
    "--warmup",
    options.warmup,
    "--watch-pid",
    watch,
    "--out",
    out,
    ...extra
  ])
  return { ...JSON.parse(readFileSync(out, "utf8")) as Drive, exitCode }
}

const format = (result: Drive | undefined) =>
  result === undefined ? "        -" : [
    result.rate_per_s.toFixed(0).padStart(8),
    (result.latency_ms.iteration.p50 ?? Number.NaN).toFixed(2).padStart(7),
    (result.latency_ms.iteration.p99 ?? Number.NaN).toFixed(2).padStart(7),
    String(result.errors).padStart(4)
  ].join(" ")

const main = async () => {
  const apiPort = Number(options["api-port"])
  const limitPort = Number(options["limit-port"])
  const connections = options.connections.split(/\s+/).map(Number)
  const repeat = Number(options.repeat)
  const targets = new Set(options.targets.split(/\s+/))
  process.stdout.write(`[bench] usage: API, worker and scheduler from ${apiRoot}\n`)

  await withClient(`${serverUrl}/postgres`, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${databaseName}`)
  })
  await run(["apps/cli/src/main.ts", "migrate"], { DATABASE_URL: databaseUrl }, apiRoot)
  const programs = startPrograms(apiPort, programEntries(apiRoot))
  let limit: ChildProcess | undefined
  try {
    await waitFor(`http://127.0.0.1:${apiPort}/health`)
    const seeded = await seedApi(apiPort)
    const keysFile = async () => {
      const file = join(workDir, "keys-cuebx.json")
      writeFileSync(
        file,
        JSON.stringify({
          internal_api_key: internalKey,
          feature_key: "api.extract_cues.resume",
          keys: [{
            api_key: seeded.apiKey,
            client_id: seeded.clientId,
            credits: await remainingCredits(seeded.workspaceId)
          }]
        })
      )
      return file
    }

    const limitKeys = join(workDir, "keys-limit.json")
    if (await script(["seed.mjs", "--out", limitKeys]) !== 0) throw new Error("harness seed failed")
    limit = spawn(node, [join(harness, "limit-server.mjs"), "--port", String(limitPort)], {
      cwd: harness,
      stdio: ["ignore", "ignore", "inherit"]
    })
    await sleep(1500)

    const watchApi = `api=${programs.api.pid}`
    const best = new Map<string, Drive>()
    const failures: Array<string> = []
    const keep = (key: string, result: Drive & { readonly exitCode: number }) => {
      if (result.exitCode !== 0 || !result.checks.ok) failures.push(`${key}: checks failed (exit ${result.exitCode})`)
      if ((best.get(key)?.rate_per_s ?? -1) < result.rate_per_s) best.set(key, result)
    }
    for (const count of connections) {
      for (let attempt = 0; attempt < repeat; attempt++) {
        const api = `http://127.0.0.1:${apiPort}`
        if (targets.has("rest")) keep(`rest:${count}`, await drive(api, await keysFile(), count, [], watchApi))
        if (targets.has("rpc")) {
          keep(`rpc:${count}`, await drive(api, await keysFile(), count, ["--protocol", "rpc"], watchApi))
        }
        if (targets.has("limit")) {
          keep(
            `limit:${count}`,
            await drive(`http://127.0.0.1:${limitPort}`, limitKeys, count, [], `server=${limit.pid}`)
          )
        }
      }
    }
    const memory = memoryOf(programs.api.pid!)

    const preloadRows = Number(options.preload)
    if (preloadRows > 0) {
      process.stderr.write(`[bench] preloading ${preloadRows} usage rows\n`)
      await preload(preloadRows)
      for (const count of connections) {
        for (let attempt = 0; attempt < repeat; attempt++) {
          keep(`rest1m:${count}`, await drive(`http://127.0.0.1:${apiPort}`, await keysFile(), count, [], watchApi))
        }
      }
    }
    const ledger = await audit(seeded.workspaceId)
    const memoryAfter = memoryOf(programs.api.pid!)
    const others = { worker: memoryOf(programs.worker.pid!), scheduler: memoryOf(programs.scheduler.pid!) }

    const out = process.stdout
    out.write(
      `\nvalidate+commit pairs, ${options.duration} s windows after ${options.warmup} s warm-up, best of ${repeat}` +
        ` (pairs/s, p50 ms, p99 ms, errors)\n`
    )
    out.write(
      `conns |        REST (/limit)            |         RPC (/limit)            |      limit harness       |` +
        ` REST, ${preloadRows} rows preloaded\n`
    )
    for (const count of connections) {
      const ratio = (key: string) =>
        ((best.get(`${key}:${count}`)?.rate_per_s ?? 0) / (best.get(`limit:${count}`)?.rate_per_s ?? 1)).toFixed(2)
      out.write(
        `${String(count).padStart(5)} | ${format(best.get(`rest:${count}`))} (${ratio("rest")}) | ${
          format(best.get(`rpc:${count}`))
        } (${ratio("rpc")}) | ${format(best.get(`limit:${count}`))} | ${format(best.get(`rest1m:${count}`))}\n`
      )
    }
    out.write(
      `API RSS: peak ${memoryAfter.peakMb} MB (${memory.peakMb} MB before the preloaded runs), now ${memoryAfter.currentMb} MB;` +
        ` worker ${others.worker.peakMb} MB, scheduler ${others.scheduler.peakMb} MB peak\n`
    )
    const overspendOk = ledger.every((row) => row.within && row.balanced) &&
      [...best.values()].every((result) => result.checks.overspend_ok)
    out.write(
      `overspend check: ${overspendOk ? "ok" : "FAILED"} (driver: net grants within the allowance in every run; ` +
        `Postgres: ${
          ledger.map((row) =>
            `granted ${row.granted} = charged ${row.charged} + pending ${row.pending} of ${row.allowance}, ${row.successes} successes`
          ).join("; ")
        })\n`
    )
    if (failures.length > 0) out.write(`driver checks failed: ${failures.join("; ")}\n`)
    const top = Math.max(...connections)
    const ratio = (best.get(`rest:${top}`)?.rate_per_s ?? 0) / (best.get(`limit:${top}`)?.rate_per_s ?? 1)
    out.write(`REST/limit at ${top} connections: ${ratio.toFixed(2)}\n`)
    if (!overspendOk || failures.length > 0) process.exitCode = 4
  } finally {
    await Promise.all([...Object.values(programs).map(stop), ...(limit === undefined ? [] : [stop(limit)])])
  }
}

await main()
