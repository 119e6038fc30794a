/**
 * `GET /auth/me` of the real API against its speed limit on this machine (`AuthMeLimitServer`):
 * a fresh database, one signed-in user, the same token for both, and the same closed-loop driver
 * at each connection count. Prints requests per second, p50/p99 and the API's memory, then the
 * ratio at 64 connections. `--api-root <checkout>` measures another checkout of CueBX (for
 * before/after comparisons in one run).
 */
import { hash } from "@node-rs/argon2"
import { spawn } from "node:child_process"
import { resolve } from "node:path"
import { parseArgs } from "node:util"
import pg from "pg"
import { drive, type DriveResult } from "./LoadDriver.ts"
import { memoryOf, programEntries, programFlags, run, stop, waitFor } from "./Programs.ts"

const { values: options } = parseArgs({
  options: {
    "api-root": { type: "string", default: resolve(import.meta.dirname, "../../..") },
    connections: { type: "string", default: "1 16 64" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    repeat: { type: "string", default: "2" },
    "api-port": { type: "string", default: "18100" },
    "limit-port": { type: "string", default: "18101" }
  }
})

const serverUrl = process.env["BENCH_DATABASE_SERVER"] ?? "postgresql://postgres@127.0.0.1:5432"
const databaseName = "cuebx_bench_auth_me"
const databaseUrl = `${serverUrl}/${databaseName}`
const apiRoot = resolve(options["api-root"])
const node = process.execPath
const email = "bench@example.com"
const password = "bench-password-123"

const resetDatabase = async () => {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${databaseName}`)
  await admin.end()
}

const seedUser = async () => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const passwordHash = await hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 })
  await client.query(
    `INSERT INTO users (email, password_hash, full_name, email_verified, provisioned_at)
     VALUES ($1, $2, 'Bench User', true, now())`,
    [email, passwordHash]
  )
  await client.end()
}

const format = (result: DriveResult) =>
  `${result.perSecond.toFixed(0).padStart(7)} ${result.p50Ms.toFixed(2).padStart(7)} ${
    result.p99Ms.toFixed(2).padStart(7)
  } ${String(result.errors).padStart(6)}`

const main = async () => {
  const apiPort = Number(options["api-port"])
  const limitPort = Number(options["limit-port"])
  const connections = options.connections.split(/\s+/).map(Number)
  const durationMs = Number(options.duration) * 1000
  const warmupMs = Number(options.warmup) * 1000
  const repeat = Number(options.repeat)

  process.stdout.write(`[bench] API from ${apiRoot}\n`)
  await resetDatabase()
  await run(["apps/cli/src/main.ts", "migrate"], { DATABASE_URL: databaseUrl }, apiRoot)
  await seedUser()

  const api = spawn(node, [...programFlags, programEntries(apiRoot).api], {
    cwd: apiRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(apiPort),
      HOST: "127.0.0.1",
      ENABLE_MESSAGING: "false",
      REDIS_KEY_PREFIX: "cuebx_bench:"
    },
    stdio: ["ignore", "ignore", "inherit"]
  })
  const limit = spawn(node, [resolve(import.meta.dirname, "AuthMeLimitServer.ts"), String(limitPort), databaseUrl], {
    stdio: ["ignore", "ignore", "inherit"]
  })
  try {
    await waitFor(`http://127.0.0.1:${apiPort}/health`)
    const signin = await fetch(`http://127.0.0.1:${apiPort}/auth/signin`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password })
    })
    const { access_token: token } = await signin.json() as { access_token: string }
    await waitFor(`http://127.0.0.1:${limitPort}/health`)
    const headers = { authorization: `Bearer ${token}` }
    const fromApi = await (await fetch(`http://127.0.0.1:${apiPort}/auth/me`, { headers })).json()
    const fromLimit = await (await fetch(`http://127.0.0.1:${limitPort}/auth/me`, { headers })).json()
    if (JSON.stringify(fromApi) !== JSON.stringify(fromLimit)) {
      throw new Error(`the two servers answer differently:\n${JSON.stringify(fromApi)}\n${JSON.stringify(fromLimit)}`)
    }

    const best = new Map<string, DriveResult>()
    for (const count of connections) {
      for (let attempt = 0; attempt < repeat; attempt++) {
        for (const [name, port] of [["api", apiPort], ["limit", limitPort]] as const) {
          const result = await drive({
            url: `http://127.0.0.1:${port}/auth/me`,
            headers,
            connections: count,
            warmupMs,
            durationMs
          })
          const key = `${name}:${count}`
          if ((best.get(key)?.perSecond ?? -1) < result.perSecond) best.set(key, result)
        }
      }
    }
    const memory = memoryOf(api.pid!)
    process.stdout.write(
      `\nGET /auth/me, ${options.duration} s windows after ${options.warmup} s warm-up, best of ${repeat}\n`
    )
    process.stdout.write(`target  conns   req/s  p50 ms  p99 ms errors\n`)
    for (const count of connections) {
      for (const name of ["api", "limit"]) {
        process.stdout.write(
          `${name.padEnd(6)} ${String(count).padStart(5)} ${format(best.get(`${name}:${count}`)!)}\n`
        )
      }
    }
    process.stdout.write(`API RSS: peak ${memory.peakMb} MB, now ${memory.currentMb} MB\n`)
    const top = Math.max(...connections)
    const ratio = best.get(`api:${top}`)!.perSecond / best.get(`limit:${top}`)!.perSecond
    process.stdout.write(`/auth/me API/limit at ${top} connections: ${ratio.toFixed(2)}\n`)
  } finally {
    await Promise.all([stop(api), stop(limit)])
  }
}

await main()
