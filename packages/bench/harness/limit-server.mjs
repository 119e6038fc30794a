#!/usr/bin/env node
// The leanest correct implementation we know of POST /api/internal/usage/validate
// and POST /api/internal/usage/commit: node:http + pg Pool + ioredis.
//
//   validate = 1 EVALSHA (key, rate limits, idempotency, credit reservation,
//              atomically in Redis) + 1 INSERT of the PENDING row
//   commit   = 1 UPDATE (PENDING -> SUCCESS/FAILED, at most once) + 1 EVALSHA
//              settling reserved -> used (or releasing it)
//
// With --batch on (default) concurrent INSERTs / UPDATEs are group-committed:
// every caller still waits for its own row to be durable before it gets an
// answer, but one statement carries many rows. --batch off issues one
// statement per request.
//
// Usage: node limit-server.mjs --port 8787 [--batch on|off] [--inflight 4]
//        [--max-batch 512] [--pg-pool N] [--pg-url URL] [--redis-url URL]
//        [--prefix benchlimit:] [--internal-secret S]
// It only serves: seed the database and wipe the Redis prefix first (seed.mjs).
import Redis from "ioredis"
import { randomUUID, timingSafeEqual } from "node:crypto"
import http from "node:http"
import pg from "pg"
import {
  DEFAULTS,
  defineScripts,
  FAILURE_TYPES,
  FEATURE_KEYS,
  fromUnits,
  parseArgs,
  redisKeys,
  sha256hex,
  toUnits,
  workspaceIdOf
} from "./lib.mjs"

const args = parseArgs(process.argv.slice(2))
const PORT = Number(args.port ?? 8787)
const HOST = args.host ?? "127.0.0.1"
const PG_URL = args["pg-url"] ?? process.env.BENCH_PG_URL ?? DEFAULTS.pgUrl
const REDIS_URL = args["redis-url"] ?? process.env.BENCH_REDIS_URL ?? DEFAULTS.redisUrl
const PREFIX = args.prefix ?? DEFAULTS.prefix
const BATCH = (args.batch ?? "on") !== "off"
const INFLIGHT = Number(args.inflight ?? 4) // concurrent flushes per batcher
const MAX_BATCH = Number(args["max-batch"] ?? 512)
const POOL_MAX = Number(args["pg-pool"] ?? (BATCH ? 2 * INFLIGHT + 2 : 16))
const IDEM_TTL_S = Number(args["idem-ttl"] ?? 86400)
const KEY_CACHE_TTL_S = 300
const INTERNAL_SECRET = Buffer.from(args["internal-secret"] ?? DEFAULTS.internalSecret)

pg.types.setTypeParser(1700, (v) => v) // numeric stays text; converted to units exactly
const pool = new pg.Pool({ connectionString: PG_URL, max: POOL_MAX })
const redis = defineScripts(new Redis(REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 2 }))
const K = redisKeys(PREFIX)

// Feature costs are configuration: loaded once, in units.
const featureCost = new Map()
const costRows = await pool.query("SELECT feature_key, internal_cost_credits FROM feature_costs").catch((e) => {
  console.error(
    `limit-server: cannot read feature_costs (${e.message}); seed the database first: node seed.mjs --out keys.json`
  )
  process.exit(2)
})
for (const r of costRows.rows) featureCost.set(r.feature_key, toUnits(r.internal_cost_credits))

// ---------------------------------------------------------------------------
// Group commit: callers add rows; at most INFLIGHT statements run at once and
// whatever queued meanwhile goes out together in the next one.
class Batcher {
  constructor(flush, inflight, maxBatch) {
    this.flush = flush
    this.inflight = inflight
    this.maxBatch = maxBatch
    this.running = 0
    this.queue = []
    this.scheduled = false
  }

  add(row) {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.pump())
      }
    })
  }

  pump() {
    this.scheduled = false
    while (this.running < this.inflight && this.queue.length) {
      const items = this.queue.splice(0, this.maxBatch)
      this.running++
      this.flush(items.map((i) => i.row)).then(
        (results) => {
          for (let j = 0; j < items.length; j++) items[j].resolve(results[j])
        },
        (err) => {
          for (const i of items) i.reject(err)
        }
      ).finally(() => {
        this.running--
        if (this.queue.length) this.pump()
      })
    }
  }
}

const INSERT_BATCH_SQL = `
INSERT INTO usage_logs (id, workspace_id, api_key_id, request_id, fingerprint, feature_key, endpoint, method, credits_reserved)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[])
ON CONFLICT (workspace_id, request_id, fingerprint) DO NOTHING
RETURNING id`
const INSERT_ONE_SQL = `
INSERT INTO usage_logs (id, workspace_id, api_key_id, request_id, fingerprint, feature_key, endpoint, method, credits_reserved)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (workspace_id, request_id, fingerprint) DO NOTHING
RETURNING id`

// Row: [id, ws, kid, request_id, fingerprint, feature, endpoint, method, reserved]. Result: inserted?
async function insertRows(rows) {
  if (rows.length === 1) {
    const r = await pool.query({ name: "ins1", text: INSERT_ONE_SQL, values: rows[0] })
    return [r.rowCount === 1]
  }
  const cols = Array.from({ length: 9 }, (_, c) => rows.map((row) => row[c]))
  const r = await pool.query({ name: "insN", text: INSERT_BATCH_SQL, values: cols })
  const inserted = new Set(r.rows.map((x) => x.id))
  return rows.map((row) => inserted.has(row[0]))
}

const COMMIT_SQL_HEAD = `
UPDATE usage_logs u SET
  status = v.status,
  credits_charged = CASE WHEN v.status = 'SUCCESS' THEN u.credits_reserved ELSE 0 END,
  committed_at = now(),
  model_used = v.model, input_tokens = v.in_tok, output_tokens = v.out_tok, latency_ms = v.lat,
  failure_type = v.ftype, failure_reason = v.freason`
const COMMIT_BATCH_SQL = `${COMMIT_SQL_HEAD}
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::text[], $9::text[])
  AS v(id, key_hash, status, model, in_tok, out_tok, lat, ftype, freason)
WHERE u.id = v.id AND u.status = 'PENDING'
  AND u.api_key_id = (SELECT k.id FROM api_keys k WHERE k.key_hash = v.key_hash)
RETURNING u.id, u.workspace_id, u.status, u.credits_reserved`
const COMMIT_ONE_SQL = `${COMMIT_SQL_HEAD}
FROM (SELECT $1::uuid, $2::text, $3::text, $4::text, $5::int, $6::int, $7::int, $8::text, $9::text)
  AS v(id, key_hash, status, model, in_tok, out_tok, lat, ftype, freason)
WHERE u.id = v.id AND u.status = 'PENDING'
  AND u.api_key_id = (SELECT k.id FROM api_keys k WHERE k.key_hash = v.key_hash)
RETURNING u.id, u.workspace_id, u.status, u.credits_reserved`

// Row: [id, key_hash, status, model, in, out, lat, ftype, freason]. Result: new status or null.
async function commitRows(rows) {
  const r = rows.length === 1
    ? await pool.query({ name: "com1", text: COMMIT_ONE_SQL, values: rows[0] })
    : await pool.query({
      name: "comN",
      text: COMMIT_BATCH_SQL,
      values: Array.from({ length: 9 }, (_, c) => rows.map((row) => row[c]))
    })
  // One Redis call per workspace per statement settles everything it changed.
  const perWs = new Map()
  const status = new Map()
  for (const x of r.rows) {
    status.set(x.id, x.status)
    const units = toUnits(x.credits_reserved)
    const acc = perWs.get(x.workspace_id) ?? [0, 0]
    acc[0] += units
    if (x.status === "SUCCESS") acc[1] += units
    perWs.set(x.workspace_id, acc)
  }
  await Promise.all(
    [...perWs].map(([ws, [release, charge]]) => redis.usageSettle(K.quota(ws), String(release), String(charge)))
  )
  // The same usage_id twice in one batch (a racing double commit) updates the
  // row once: only the first caller that asked for the status applied gets it.
  return rows.map((row) => {
    if (status.get(row[0]) !== row[2]) return null
    status.delete(row[0])
    return row[2]
  })
}

const inserter = BATCH
  ? new Batcher(insertRows, INFLIGHT, MAX_BATCH)
  : { add: async (row) => (await insertRows([row]))[0] }
const committer = BATCH
  ? new Batcher(commitRows, INFLIGHT, MAX_BATCH)
  : { add: async (row) => (await commitRows([row]))[0] }

// usage_id -> promise of its PENDING row; an idempotent replay that races the
// original waits for the row so a caller never commits a usage_id that is not
// yet in the database.
const pendingInserts = new Map()

// ---------------------------------------------------------------------------
// Cold cache fills (first request after start, or after Redis lost its data).
async function loadApiKey(keyHash) {
  const { rows } = await pool.query({
    name: "key",
    text: `SELECT id, workspace_id, is_test_key,
             coalesce(floor(extract(epoch FROM expires_at) * 1000), 0)::bigint AS exp,
             revoked_at IS NULL AS active
           FROM api_keys WHERE key_hash = $1`,
    values: [keyHash]
  })
  const k = rows[0]
  const fields = k
    ? [
      "ws",
      k.workspace_id,
      "kid",
      k.id,
      "test",
      k.is_test_key ? "1" : "0",
      "exp",
      String(k.exp),
      "active",
      k.active ? "1" : "0"
    ]
    : ["ws", "", "kid", "", "test", "0", "exp", "0", "active", "0"] // negative cache
  await redis.hashFill(K.apiKey(keyHash), String(k ? KEY_CACHE_TTL_S : 60), ...fields)
}

async function loadQuota(ws) {
  const { rows } = await pool.query({
    name: "quota",
    text: `SELECT p.credits_allocation, p.multiplier, p.rate_limit_per_minute, p.rate_limit_per_day,
             coalesce((SELECT sum(credits_charged) FROM usage_logs WHERE workspace_id = w.id AND status = 'SUCCESS'), 0) AS used,
             coalesce((SELECT sum(credits_reserved) FROM usage_logs WHERE workspace_id = w.id AND status = 'PENDING'), 0) AS reserved
           FROM workspaces w JOIN plans p ON p.id = w.plan_id WHERE w.id = $1`,
    values: [ws]
  })
  const q = rows[0]
  if (!q) return false
  await redis.hashFill(
    K.quota(ws),
    "0",
    "alloc",
    String(toUnits(q.credits_allocation)),
    "used",
    String(toUnits(q.used)),
    "reserved",
    String(toUnits(q.reserved)),
    "rpm",
    q.rate_limit_per_minute,
    "rpd",
    q.rate_limit_per_day,
    "mult",
    String(toUnits(q.multiplier))
  )
  return true
}

// ---------------------------------------------------------------------------
// HTTP plumbing
const JSON_HEADERS = { "content-type": "application/json" }
function send(res, status, obj, headers) {
  const body = JSON.stringify(obj)
  res.writeHead(
    status,
    headers
      ? { ...JSON_HEADERS, ...headers, "content-length": Buffer.byteLength(body) }
      : { ...JSON_HEADERS, "content-length": Buffer.byteLength(body) }
  )
  res.end(body)
}
const detail = (res, status, msg) => send(res, status, { detail: msg })
const denied = (res, status, msg, headers, extra) =>
  send(res, status, { access: "denied", usage_id: null, message: msg, is_test_key: false, ...extra }, headers)

function authorized(req) {
  const h = req.headers["x-internal-api-key"]
  if (typeof h !== "string") return false
  const b = Buffer.from(h)
  return b.length === INTERNAL_SECRET.length && timingSafeEqual(b, INTERNAL_SECRET)
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on("data", (c) => {
      size += c.length
      if (size > 65536) {
        reject(Object.assign(new Error("too large"), { status: 413 }))
        req.destroy()
      } else chunks.push(c)
    })
    req.on("end", () => {
      try {
        resolve(JSON.parse(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
      } catch {
        reject(Object.assign(new Error("invalid JSON"), { status: 422 }))
      }
    })
    req.on("error", reject)
  })
}

const CLIENT_ID_RE = /^ws_[a-f0-9]{32}$/
const HASH_RE = /^[a-f0-9]{64}$/
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const API_KEY_RE = /^cbx_(live|test)_[A-Za-z0-9_-]{16,128}$/
const FEATURES = new Set(FEATURE_KEYS)
const isStr = (v, max) => typeof v === "string" && v.length > 0 && v.length <= max
const optInt = (v, max) => v == null || (Number.isInteger(v) && v >= 0 && v <= max)

function validateRequestError(b) {
  if (b === null || typeof b !== "object") return "body must be an object"
  if (!isStr(b.request_id, 255)) return "request_id is required"
  if (typeof b.client_id !== "string" || !CLIENT_ID_RE.test(b.client_id)) {
    return "client_id must match ^ws_[a-f0-9]{32}$"
  }
  if (!FEATURES.has(b.feature_key)) return "feature_key is not a known feature"
  if (!isStr(b.api_key, 200)) return "api_key is required"
  if (!isStr(b.endpoint, 500)) return "endpoint is required"
  if (!isStr(b.method, 16)) return "method is required"
  if (typeof b.payload_hash !== "string" || !HASH_RE.test(b.payload_hash)) {
    return "payload_hash must be 64 lowercase hex chars"
  }
  const e = b.usage_estimate
  if (e != null) {
    if (typeof e !== "object") return "usage_estimate must be an object"
    if (e.input_chars == null && e.max_output_tokens == null && e.model == null) {
      return "usage_estimate needs at least one field"
    }
    if (!optInt(e.input_chars, 10_000_000) || !optInt(e.max_output_tokens, 2_000_000)) {
      return "usage_estimate out of bounds"
    }
    if (e.model != null && !isStr(e.model, 100)) return "usage_estimate.model too long"
  }
  return null
}

function rateHeaders(now, rpm, mLeft, rpd, dLeft) {
  return {
    "x-ratelimit-limit-minute": rpm,
    "x-ratelimit-remaining-minute": Math.max(mLeft, 0),
    "x-ratelimit-reset-minute": Math.ceil((Math.floor(now / 60000) + 1) * 60),
    "x-ratelimit-limit-day": rpd,
    "x-ratelimit-remaining-day": Math.max(dLeft, 0),
    "x-ratelimit-reset-day": Math.ceil((Math.floor(now / 86400000) + 1) * 86400)
  }
}

// ---------------------------------------------------------------------------
async function validate(req, res) {
  const b = await readJson(req)
  const err = validateRequestError(b)
  if (err) return detail(res, 422, err)
  if (!API_KEY_RE.test(b.api_key)) return denied(res, 400, "Invalid API key format.")
  const ws = workspaceIdOf(b.client_id)
  const keyHash = sha256hex(b.api_key)
  const fingerprint = sha256hex(
    `${b.endpoint}\n${b.method}\n${b.payload_hash}\n${b.feature_key}\n${
      b.usage_estimate ? JSON.stringify(b.usage_estimate) : ""
    }`
  )
  const idemKey = K.idem(ws, b.request_id, fingerprint)
  const usageId = randomUUID()
  const baseCost = featureCost.get(b.feature_key) ?? 0

  let now, r
  for (let attempt = 0;; attempt++) {
    now = Date.now()
    const m = Math.floor(now / 60000)
    const d = Math.floor(now / 86400000)
    r = await redis.usageValidate(
      K.apiKey(keyHash),
      K.quota(ws),
      K.minute(ws, m),
      K.minute(ws, m - 1),
      K.day(ws, d),
      K.day(ws, d - 1),
      idemKey,
      ws,
      String(now),
      String(baseCost),
      usageId,
      String(IDEM_TTL_S)
    )
    if (attempt >= 2 || (r[0] !== "KEY_MISS" && r[0] !== "WS_MISS")) break
    if (r[0] === "KEY_MISS") await loadApiKey(keyHash)
    else if (!(await loadQuota(ws))) return denied(res, 403, "API key does not belong to the specified workspace.")
  }

  switch (r[0]) {
    case "OK": {
      const [, rpm, mLeft, rpd, dLeft, remaining, cost, kid, test] = r
      const isTest = test === "1"
      const idemValue = `${usageId}:${cost}`
      const row = [usageId, ws, kid, b.request_id, fingerprint, b.feature_key, b.endpoint, b.method, fromUnits(cost)]
      const p = inserter.add(row)
      pendingInserts.set(usageId, p)
      let inserted
      try {
        inserted = await p
      } catch (e) {
        await redis.usageRelease(K.quota(ws), idemKey, String(cost), idemValue, "", String(IDEM_TTL_S))
        throw e
      } finally {
        pendingInserts.delete(usageId)
      }
      if (!inserted) return replayFromDatabase(res, ws, b, fingerprint, idemKey, cost, idemValue, kid)
      return send(res, 200, {
        access: "granted",
        usage_id: usageId,
        message: isTest
          ? "Test key - access granted (no credits charged)."
          : `Access granted. ${fromUnits(remaining)} credits remaining after this request.`,
        credits_reserved: fromUnits(cost),
        is_test_key: isTest
      }, rateHeaders(now, rpm, mLeft, rpd, dLeft))
    }
    case "REPLAY": {
      const [, rpm, mLeft, rpd, dLeft, seen, test] = r
      const sep = seen.indexOf(":")
      const id = seen.slice(0, sep)
      const inflight = pendingInserts.get(id)
      if (inflight && !(await inflight.catch(() => false))) {
        return detail(res, 503, "Original request is still being recorded; retry.")
      }
      return send(res, 200, {
        access: "granted",
        usage_id: id,
        message: "Request already processed (idempotent). Access: granted",
        credits_reserved: fromUnits(Number(seen.slice(sep + 1))),
        is_test_key: test === "1"
      }, rateHeaders(now, rpm, mLeft, rpd, dLeft))
    }
    case "QUOTA": {
      const [, rpm, mLeft, rpd, dLeft, remaining, cost] = r
      return denied(
        res,
        429,
        `Quota exceeded. Remaining: ${fromUnits(Math.max(remaining, 0))}, required: ${fromUnits(cost)}`,
        rateHeaders(now, rpm, mLeft, rpd, dLeft)
      )
    }
    case "RATE_MINUTE":
    case "RATE_DAY": {
      const [kind, rpm, mLeft, rpd, dLeft] = r
      const minute = kind === "RATE_MINUTE"
      const retry = minute ? 60 - Math.floor((now % 60000) / 1000) : 86400 - Math.floor((now % 86400000) / 1000)
      return denied(
        res,
        429,
        `Rate limit exceeded. Limit: ${minute ? rpm : rpd} requests/${
          minute ? "minute" : "day"
        }. Try again in ${retry} seconds.`,
        { ...rateHeaders(now, rpm, mLeft, rpd, dLeft), "retry-after": retry }
      )
    }
    case "WS_MISMATCH":
      return denied(res, 403, "API key does not belong to the specified workspace.")
    case "KEY_INVALID":
    case "KEY_MISS":
    default:
      return denied(res, 401, "API key not found, expired, or revoked.")
  }
}

// The row already existed (its Redis idempotency record had expired): undo
// this request's reservation and answer with the original usage log.
async function replayFromDatabase(res, ws, b, fingerprint, idemKey, cost, idemValue, _kid) {
  const { rows } = await pool.query(
    "SELECT id, credits_reserved FROM usage_logs WHERE workspace_id = $1 AND request_id = $2 AND fingerprint = $3",
    [ws, b.request_id, fingerprint]
  )
  const orig = rows[0]
  await redis.usageRelease(
    K.quota(ws),
    idemKey,
    String(cost),
    idemValue,
    orig ? `${orig.id}:${toUnits(orig.credits_reserved)}` : "",
    String(IDEM_TTL_S)
  )
  if (!orig) return detail(res, 503, "Conflicting request in progress; retry.")
  return send(res, 200, {
    access: "granted",
    usage_id: orig.id,
    message: "Request already processed (idempotent). Access: granted",
    credits_reserved: orig.credits_reserved,
    is_test_key: false
  })
}

async function commit(req, res) {
  const b = await readJson(req)
  if (b === null || typeof b !== "object") return detail(res, 422, "body must be an object")
  if (!isStr(b.api_key, 200)) return detail(res, 422, "api_key is required")
  if (typeof b.usage_id !== "string" || !UUID_RE.test(b.usage_id)) return detail(res, 422, "usage_id must be a UUID")
  if (typeof b.success !== "boolean") return detail(res, 422, "success must be a boolean")
  const m = b.metrics
  if (
    m != null && (typeof m !== "object" || !optInt(m.input_tokens, 2_000_000) || !optInt(m.output_tokens, 2_000_000) ||
      !optInt(m.latency_ms, 3_600_000) || (m.model_used != null && !isStr(m.model_used, 100)))
  ) {
    return detail(res, 422, "metrics out of bounds")
  }
  const f = b.failure
  if (
    !b.success && (f == null || typeof f !== "object" || !FAILURE_TYPES.has(f.failure_type) || !isStr(f.reason, 1000))
  ) {
    return detail(res, 422, "failure details (failure_type, reason) are required when success is false")
  }
  const status = b.success ? "SUCCESS" : "FAILED"
  const row = [
    b.usage_id.toLowerCase(),
    sha256hex(b.api_key),
    status,
    m?.model_used ?? null,
    m?.input_tokens ?? null,
    m?.output_tokens ?? null,
    m?.latency_ms ?? null,
    b.success ? null : f.failure_type,
    b.success ? null : f.reason
  ]
  const result = await committer.add(row)
  if (result) return send(res, 200, { success: true, message: `Usage committed as ${result}.` })
  // Slow path (nothing changed): tell "already committed" from "not yours".
  const { rows } = await pool.query({
    name: "owner",
    text: `SELECT u.status, u.api_key_id = k.id AS owned FROM usage_logs u
           LEFT JOIN api_keys k ON k.key_hash = $2 WHERE u.id = $1`,
    values: [row[0], row[1]]
  })
  if (!rows[0]) return send(res, 200, { success: true, message: "Usage log not found, but operation is idempotent." })
  if (!rows[0].owned) return send(res, 200, { success: false, message: "API key does not own this usage log." })
  return send(res, 200, { success: true, message: `Usage log already committed as ${rows[0].status} (idempotent).` })
}

const server = http.createServer({ keepAliveTimeout: 65000, noDelay: true }, (req, res) => {
  let handler
  if (req.method === "POST" && req.url === "/api/internal/usage/validate") handler = validate
  else if (req.method === "POST" && req.url === "/api/internal/usage/commit") handler = commit
  else if (req.method === "GET" && req.url === "/healthz") return send(res, 200, { ok: true })
  else return detail(res, 404, "Resource not found.")
  if (!authorized(req)) {
    req.resume()
    return detail(res, 401, "Invalid or missing X-Internal-API-Key.")
  }
  handler(req, res).catch((e) => {
    if (res.headersSent) return
    if (e.status) return detail(res, e.status, e.message)
    console.error(e)
    detail(res, 503, "Service temporarily unavailable.")
  })
})

server.listen(PORT, HOST, () => {
  console.log(JSON.stringify({
    ready: true,
    url: `http://${HOST}:${PORT}`,
    pid: process.pid,
    batch: BATCH,
    inflight: BATCH ? INFLIGHT : null,
    pg_pool: POOL_MAX
  }))
})

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  server.close()
  server.closeIdleConnections?.()
  const t = setTimeout(() => process.exit(0), 3000)
  t.unref()
  await Promise.allSettled([pool.end(), redis.quit()])
  process.exit(0)
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
