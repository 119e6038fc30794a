#!/usr/bin/env node
// Correctness check of limit-server.mjs, with group commit on and off.
// Seeds its own database and Redis prefix, starts the server as a child
// process, drives it over HTTP, and reads Postgres / Redis to confirm.
//
//   node check.mjs [--port 8797] [--pg-url URL] [--redis-url URL] [--prefix benchcheck:]
//
// Exits non-zero if any check fails; the last line reads "N passed, N failed".
import Redis from "ioredis"
import { spawn } from "node:child_process"
import { createHash, randomUUID } from "node:crypto"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { DEFAULTS, ensureDatabase, parseArgs, redisKeys, seedWorkspaces, wipePrefix, workspaceIdOf } from "./lib.mjs"

const a = parseArgs(process.argv.slice(2))
const PORT = Number(a.port ?? 8797)
const PG_URL = a["pg-url"] ?? "postgres://postgres@127.0.0.1:5432/bench_limit_check"
const REDIS_URL = a["redis-url"] ?? DEFAULTS.redisUrl
const PREFIX = a.prefix ?? "benchcheck:"
const BASE = `http://127.0.0.1:${PORT}`
const SECRET = DEFAULTS.internalSecret
const K = redisKeys(PREFIX)
setTimeout(() => {
  console.error("check: hard time limit (120 s) reached")
  process.exit(3)
}, 120_000).unref()

pg.types.setTypeParser(1700, (v) => v)
await ensureDatabase(pg, PG_URL, new URL(PG_URL).pathname.slice(1))
const db = new pg.Client({ connectionString: PG_URL })
await db.connect()
const redis = new Redis(REDIS_URL)

let passed = 0
let failed = 0
function expect(cond, name, got) {
  if (cond) {
    passed++
    return
  }
  failed++
  console.log(
    `  FAIL ${name}${got === undefined ? "" : `: got ${typeof got === "string" ? got : JSON.stringify(got)}`}`
  )
}

async function call(path, body, { secret = SECRET } = {}) {
  const headers = { "content-type": "application/json" }
  if (secret) headers["x-internal-api-key"] = secret
  const r = await fetch(BASE + path, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body)
  })
  const text = await r.text()
  let json = null
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: r.status, headers: r.headers, body: json, text }
}

let seq = 0
function validateBody(key, over = {}) {
  const requestId = over.request_id ?? `chk_${++seq}_${randomUUID()}`
  return {
    request_id: requestId,
    client_id: key.client_id,
    feature_key: "api.extract_cues.resume",
    api_key: key.api_key,
    endpoint: "/v1/extract-cues/resume",
    method: "POST",
    payload_hash: createHash("sha256").update(requestId).digest("hex"),
    usage_estimate: { input_chars: 22000, max_output_tokens: 700, model: "gpt-4o-mini" },
    ...over
  }
}
const validate = (body, opts) => call("/api/internal/usage/validate", body, opts)
const commit = (key, usageId, success = true, extra = {}) =>
  call("/api/internal/usage/commit", {
    api_key: key.api_key,
    usage_id: usageId,
    success,
    ...(success
      ? { metrics: { model_used: "gpt-4o-mini", input_tokens: 10, output_tokens: 5, latency_ms: 100 } }
      : { failure: { failure_type: "upstream_error", reason: "check" } }),
    ...extra
  })
const rowOf = async (id) =>
  (await db.query("SELECT status, credits_reserved, credits_charged, failure_type FROM usage_logs WHERE id = $1", [id]))
    .rows[0]
const quota = async (key) => redis.hmget(K.quota(workspaceIdOf(key.client_id)), "used", "reserved")
const granted = (r) => r.status === 200 && r.body?.access === "granted" && typeof r.body.usage_id === "string"
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

async function startServer(batch) {
  const child = spawn(process.execPath, [
    fileURLToPath(new URL("./limit-server.mjs", import.meta.url)),
    "--port",
    String(PORT),
    "--batch",
    batch,
    "--pg-url",
    PG_URL,
    "--redis-url",
    REDIS_URL,
    "--prefix",
    PREFIX
  ], { stdio: ["ignore", "pipe", "inherit"] })
  let out = ""
  child.stdout.setEncoding("utf8")
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("limit-server did not become ready in 15 s")), 15_000)
    child.stdout.on("data", (d) => {
      out += d
      if (out.includes("\"ready\":true")) {
        clearTimeout(t)
        resolve()
      }
    })
    child.on("exit", (code) => {
      clearTimeout(t)
      reject(new Error(`limit-server exited early (${code})`))
    })
  })
  child.removeAllListeners("exit")
  return child
}

async function suite(batch) {
  console.log(`limit-server --batch ${batch}`)
  // W0: 3 credits (quota, idempotency, commit); W1: 3 requests/minute; W2: 20 credits (concurrency).
  const doc = await seedWorkspaces(db, {
    workspaces: [{ credits: 3 }, { credits: 1_000_000, rpm: 3 }, { credits: 20 }],
    testKeys: true
  })
  await wipePrefix(redis, PREFIX)
  const [w0, t0, w1, , w2] = doc.keys
  const server = await startServer(batch)
  try {
    // --- auth and input validation
    expect((await validate(validateBody(w0), { secret: null })).status === 401, "no X-Internal-API-Key -> 401")
    expect((await validate(validateBody(w0), { secret: "wrong" })).status === 401, "wrong X-Internal-API-Key -> 401")
    let r = await validate(validateBody(w0, { payload_hash: "xyz" }))
    expect(r.status === 422 && typeof r.body?.detail === "string", "bad payload_hash -> 422 {detail}", r.status)
    r = await validate("{not json")
    expect(r.status === 422, "malformed JSON -> 422", r.status)
    r = await validate(validateBody({ ...w0, api_key: "cbx_live_" + "f".repeat(40) }))
    expect(
      r.status === 401 && r.body?.access === "denied" && r.body?.usage_id === null,
      "unknown API key -> 401 denied",
      r.text
    )
    r = await validate(validateBody({ ...w0, client_id: w1.client_id }))
    expect(r.status === 403 && r.body?.access === "denied", "key of another workspace -> 403 denied", r.text)

    // --- grant
    const b1 = validateBody(w0)
    const g1 = await validate(b1)
    expect(granted(g1) && UUID.test(g1.body.usage_id), "grant -> 200 granted with a usage_id", g1.text)
    expect(
      g1.body?.credits_reserved === "1.0000" && g1.body?.is_test_key === false,
      "grant reserves 1.0000 credit, live key",
      g1.text
    )
    expect(
      g1.headers.get("x-ratelimit-limit-minute") != null && g1.headers.get("retry-after") == null,
      "grant carries rate-limit headers, no Retry-After"
    )
    expect((await rowOf(g1.body.usage_id))?.status === "PENDING", "grant inserts a PENDING row")

    // --- idempotent repeat of request_id
    const g1b = await validate(b1)
    expect(
      granted(g1b) && g1b.body.usage_id === g1.body.usage_id,
      "same request_id + payload -> same usage_id",
      g1b.text
    )
    const dup = await db.query("SELECT count(*)::int AS n FROM usage_logs WHERE request_id = $1", [b1.request_id])
    expect(dup.rows[0].n === 1, "idempotent repeat inserts no second row", dup.rows[0].n)
    expect((await quota(w0))[1] === "10000", "idempotent repeat reserves nothing more", await quota(w0))
    const g2 = await validate(validateBody(w0, { request_id: b1.request_id, payload_hash: "a".repeat(64) }))
    expect(
      granted(g2) && g2.body.usage_id !== g1.body.usage_id,
      "same request_id + other payload -> new usage_id",
      g2.text
    )

    // --- deny when out of credits
    const g3 = await validate(validateBody(w0))
    expect(granted(g3), "third credit granted (3 of 3)", g3.text)
    r = await validate(validateBody(w0))
    expect(
      r.status === 429 && r.body?.access === "denied" && r.body?.usage_id === null,
      "out of credits -> 429 denied",
      r.text
    )
    expect(
      r.headers.get("retry-after") == null && /quota/i.test(r.body?.message ?? ""),
      "quota denial has no Retry-After, says quota",
      r.body?.message
    )
    expect(
      (await db.query("SELECT count(*)::int AS n FROM usage_logs WHERE workspace_id = $1", [
        workspaceIdOf(w0.client_id)
      ])).rows[0].n === 3,
      "denial inserts no row"
    )

    // --- commit, then commit twice
    r = await commit(w0, g1.body.usage_id)
    expect(
      r.status === 200 && r.body?.success === true && /SUCCESS/.test(r.body.message),
      "commit -> success, SUCCESS",
      r.text
    )
    let row = await rowOf(g1.body.usage_id)
    expect(row?.status === "SUCCESS" && row.credits_charged === "1.0000", "commit charges the reserved credit", row)
    r = await commit(w0, g1.body.usage_id)
    expect(
      r.status === 200 && r.body?.success === true && !r.body.message.startsWith("Usage committed as"),
      "second commit -> idempotent no-op",
      r.text
    )
    r = await commit(w0, g1.body.usage_id, false)
    row = await rowOf(g1.body.usage_id)
    expect(
      r.body?.success === true && row.status === "SUCCESS" && row.credits_charged === "1.0000",
      "late FAILED commit changes nothing",
      row
    )
    expect(
      JSON.stringify(await quota(w0)) === JSON.stringify(["10000", "20000"]),
      "Redis after commits: used 1, reserved 2",
      await quota(w0)
    )

    // --- commit validation and ownership
    r = await call("/api/internal/usage/commit", { api_key: w0.api_key, usage_id: g2.body.usage_id, success: false })
    expect(r.status === 422, "FAILED commit without failure details -> 422", r.status)
    r = await commit(w1, g3.body.usage_id)
    expect(
      r.status === 200 && r.body?.success === false && (await rowOf(g3.body.usage_id)).status === "PENDING",
      "commit by a key that does not own the log -> success:false, row untouched",
      r.text
    )
    r = await commit(w0, randomUUID())
    expect(r.status === 200 && r.body?.success === true, "commit of an unknown usage_id -> idempotent success", r.text)

    // --- failure commit releases credits
    r = await commit(w0, g2.body.usage_id, false)
    row = await rowOf(g2.body.usage_id)
    expect(
      r.body?.success === true && row.status === "FAILED" && row.credits_charged === "0.0000" &&
        row.failure_type === "upstream_error",
      "FAILED commit -> FAILED row, nothing charged",
      row
    )
    const g5 = await validate(validateBody(w0))
    expect(granted(g5), "released credit can be reserved again", g5.text)
    expect((await validate(validateBody(w0))).status === 429, "then out of credits again")

    // --- test key: granted without credits even when the workspace is out of them
    r = await validate(validateBody(t0))
    expect(
      granted(r) && r.body.is_test_key === true && r.body.credits_reserved === "0.0000",
      "test key -> granted, 0 credits, is_test_key",
      r.text
    )
    expect((await commit(t0, r.body.usage_id)).body?.success === true, "test key commit")

    // --- rate limit (3 / minute)
    const rl = []
    for (let i = 0; i < 4; i++) rl.push(await validate(validateBody(w1)))
    expect(rl.slice(0, 3).every(granted), "three requests within the minute limit granted")
    expect(
      rl[3].status === 429 && rl[3].body?.access === "denied" && Number(rl[3].headers.get("retry-after")) > 0 &&
        rl[3].headers.get("x-ratelimit-remaining-minute") === "0",
      "4th request -> 429 with Retry-After",
      rl[3].text
    )
    for (const g of rl.slice(0, 3)) await commit(w1, g.body.usage_id)

    // --- concurrency: 100 simultaneous validates against 20 credits
    const burst = async (n) => Promise.all(Array.from({ length: n }, () => validate(validateBody(w2))))
    let rs = await burst(100)
    let ok = rs.filter(granted)
    expect(
      ok.length === 20 && rs.filter((x) => x.status === 429).length === 80,
      "100 concurrent validates, 20 credits -> 20 granted, 80 denied",
      `${ok.length} granted`
    )
    expect(new Set(ok.map((x) => x.body.usage_id)).size === ok.length, "granted usage_ids are distinct")
    const cs = await Promise.all(ok.map((g, i) => commit(w2, g.body.usage_id, i % 2 === 0)))
    expect(
      cs.every((c) => c.body?.success === true && c.body.message.startsWith("Usage committed as")),
      "20 concurrent commits all applied once"
    )
    rs = await burst(100)
    ok = rs.filter(granted)
    expect(ok.length === 10, "after 10 FAILED commits, exactly 10 more granted", `${ok.length} granted`)
    await Promise.all(ok.map((g) => commit(w2, g.body.usage_id)))
    const racing = await validate(validateBody(w2))
    expect(racing.status === 429, "workspace exhausted after SUCCESS commits")

    // --- Redis loses its data: quota and idempotency are rebuilt from Postgres
    await wipePrefix(redis, PREFIX)
    r = await validate(validateBody(w0))
    expect(r.status === 429, "after Redis wipe: used + pending reloaded from Postgres -> still out of credits", r.text)
    await commit(w0, g3.body.usage_id, false) // releases one credit
    r = await validate(b1)
    expect(
      granted(r) && r.body.usage_id === g1.body.usage_id,
      "after Redis wipe: replay of request_id answers the original usage_id",
      r.text
    )
    const g6 = await validate(validateBody(w0))
    expect(granted(g6), "the replay did not keep the credit it briefly reserved", g6.text)
    await commit(w0, g5.body.usage_id)
    await commit(w0, g6.body.usage_id)

    // --- ledger: Postgres rows vs Redis counters vs allowance, nothing left PENDING
    const audit = spawn(process.execPath, [
      fileURLToPath(new URL("./audit.mjs", import.meta.url)),
      "--pg-url",
      PG_URL,
      "--redis-url",
      REDIS_URL,
      "--prefix",
      PREFIX
    ], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    audit.stdout.on("data", (d) => {
      out += d
    })
    const [code] = await once(audit, "exit")
    expect(code === 0, "audit: no overspend, Redis counters equal Postgres sums, no PENDING rows", out.trim())
  } finally {
    server.kill("SIGTERM")
    await once(server, "exit")
  }
}

try {
  await suite("on")
  await suite("off")
} finally {
  await db.end()
  await redis.quit()
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
