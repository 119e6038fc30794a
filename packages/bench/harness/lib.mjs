// Shared by seed.mjs, limit-server.mjs, audit.mjs, check.mjs and drive.mjs:
// seed identities, schema, the Redis Lua scripts, credit arithmetic and small helpers.
import { createHash } from "node:crypto"

// Credits are decimal(…,4) in the API. In Redis they are integer "units" of
// 1/10000 credit so that every counter update is an exact HINCRBY.
export const UNITS_PER_CREDIT = 10000

export const DEFAULTS = {
  pgUrl: "postgres://postgres@127.0.0.1:5432/bench_limit",
  redisUrl: "redis://127.0.0.1:6379",
  prefix: "benchlimit:",
  internalSecret: "bench-internal-secret",
  credits: 1_000_000_000, // plan allocation, in credits
  rpm: 1_000_000_000, // requests per minute
  rpd: 1_000_000_000_000, // requests per day
  featureCost: "1.0000" // every feature key costs this many credits (multiplier 1)
}

/** Deterministic ids and keys of bench workspace number i (0-based). */
export function benchIdentity(i) {
  const n = String(i).padStart(8, "0")
  const h = (s) => createHash("sha256").update(`cuebx-bench-limit:${i}:${s}`).digest("hex")
  const workspaceId = `5eed${n.slice(0, 4)}-${n.slice(4, 8)}-4000-8000-00000000be4c`
  return {
    workspaceId,
    planId: `5eed${n.slice(0, 4)}-${n.slice(4, 8)}-4000-8000-0000000091a4`,
    apiKeyId: `5eed${n.slice(0, 4)}-${n.slice(4, 8)}-4000-8000-0000000a91e7`,
    testKeyId: `5eed${n.slice(0, 4)}-${n.slice(4, 8)}-4000-8000-0000000a7e57`,
    clientId: clientIdOf(workspaceId),
    apiKey: "cbx_live_" + h("live").slice(0, 40),
    testKey: "cbx_test_" + h("test").slice(0, 40)
  }
}

export const clientIdOf = (workspaceId) => "ws_" + workspaceId.replaceAll("-", "")
export const workspaceIdOf = (clientId) => {
  const h = clientId.slice(3)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const FEATURE_KEYS = [
  "api.career_path",
  "api.extract_keywords",
  "api.feedback_analyzer",
  "api.generate_feedback",
  "api.job_match",
  "api.extract_cues.resume",
  "api.extract_cues.feedback",
  "api.extract_cues.interview",
  "api.extract_cues.assessment",
  "api.reframe_feedback",
  "career.career_path",
  "career.extract_keywords",
  "career.feedback_analyzer",
  "career.generate_feedback",
  "career.job_match",
  "career.extract_cues.resume",
  "career.extract_cues.feedback",
  "career.extract_cues.interview",
  "career.extract_cues.assessment",
  "career.reframe_feedback"
]
export const FAILURE_TYPES = new Set([
  "internal_error",
  "timeout",
  "rate_limited",
  "invalid_response",
  "upstream_error",
  "client_error",
  "validation_error"
])

export const sha256hex = (s) => createHash("sha256").update(s).digest("hex")

/** "12.3400" (pg numeric text) -> 123400 units. Non-negative, at most 4 decimals. */
export function toUnits(text) {
  const s = String(text)
  const dot = s.indexOf(".")
  if (dot < 0) return Number(s) * UNITS_PER_CREDIT
  const frac = (s.slice(dot + 1) + "0000").slice(0, 4)
  return Number(s.slice(0, dot) || "0") * UNITS_PER_CREDIT + Number(frac)
}

/** 123400 units -> "12.3400" */
export function fromUnits(units) {
  const neg = units < 0
  const u = Math.abs(units)
  const whole = Math.floor(u / UNITS_PER_CREDIT)
  const frac = String(u % UNITS_PER_CREDIT).padStart(4, "0")
  return `${neg ? "-" : ""}${whole}.${frac}`
}

// Redis key layout. Everything lives under one prefix so a run can wipe it.
export function redisKeys(prefix) {
  return {
    apiKey: (keyHash) => `${prefix}k:${keyHash}`,
    quota: (ws) => `${prefix}q:${ws}`,
    minute: (ws, idx) => `${prefix}rm:${ws}:${idx}`,
    day: (ws, idx) => `${prefix}rd:${ws}:${idx}`,
    idem: (ws, requestId, fingerprint) => `${prefix}i:${ws}:${fingerprint}:${requestId}`
  }
}

// ---------------------------------------------------------------------------
// Lua. One EVALSHA per validate does: key check, sliding-window rate limits
// (minute + day), idempotency lookup, credit check and reservation, and the
// idempotency record — atomically, so concurrent validates cannot overspend.
//
// KEYS[1] api key record   (hash: ws, kid, test, exp, active)
// KEYS[2] workspace quota  (hash: alloc, used, reserved, rpm, rpd, mult)
// KEYS[3] minute counter, current window   KEYS[4] minute counter, previous window
// KEYS[5] day counter, current window      KEYS[6] day counter, previous window
// KEYS[7] idempotency record ("usage_id:cost_units")
// ARGV[1] workspace id named by client_id   ARGV[2] now (ms)
// ARGV[3] feature base cost (units)          ARGV[4] new usage id
// ARGV[5] idempotency TTL (s)
// Reply: {status, rpm, minute_left, rpd, day_left, ...}
export const VALIDATE_LUA = `
local key = redis.call('HMGET', KEYS[1], 'ws', 'kid', 'test', 'exp', 'active')
if not key[1] then return {'KEY_MISS'} end
local now = tonumber(ARGV[2])
local exp = tonumber(key[4])
if key[5] ~= '1' or (exp > 0 and exp <= now) then return {'KEY_INVALID'} end
if key[1] ~= ARGV[1] then return {'WS_MISMATCH'} end
local q = redis.call('HMGET', KEYS[2], 'alloc', 'used', 'reserved', 'rpm', 'rpd', 'mult')
if not q[1] then return {'WS_MISS'} end
local rpm = tonumber(q[4])
local rpd = tonumber(q[5])
local c = redis.call('MGET', KEYS[3], KEYS[4], KEYS[5], KEYS[6])
local mUsed = math.floor((tonumber(c[2]) or 0) * (1 - (now % 60000) / 60000)) + (tonumber(c[1]) or 0)
local dUsed = math.floor((tonumber(c[4]) or 0) * (1 - (now % 86400000) / 86400000)) + (tonumber(c[3]) or 0)
if mUsed >= rpm then return {'RATE_MINUTE', rpm, 0, rpd, math.max(rpd - dUsed, 0)} end
if dUsed >= rpd then return {'RATE_DAY', rpm, math.max(rpm - mUsed, 0), rpd, 0} end
if redis.call('INCR', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], 120000) end
if redis.call('INCR', KEYS[5]) == 1 then redis.call('PEXPIRE', KEYS[5], 172800000) end
local mLeft = rpm - mUsed - 1
local dLeft = rpd - dUsed - 1
local seen = redis.call('GET', KEYS[7])
if seen then return {'REPLAY', rpm, mLeft, rpd, dLeft, seen, key[3]} end
local remaining = tonumber(q[1]) - tonumber(q[2]) - tonumber(q[3])
local cost = 0
if key[3] ~= '1' then
  cost = math.floor(tonumber(ARGV[3]) * tonumber(q[6]) / 10000)
  if remaining < cost then return {'QUOTA', rpm, mLeft, rpd, dLeft, remaining, cost} end
  redis.call('HINCRBY', KEYS[2], 'reserved', cost)
end
redis.call('SET', KEYS[7], ARGV[4] .. ':' .. cost, 'EX', ARGV[5])
return {'OK', rpm, mLeft, rpd, dLeft, remaining - cost, cost, key[2], key[3]}
`

// Commit settlement for one workspace (possibly many usage rows at once):
// release ARGV[1] reserved units and charge ARGV[2] of them as used.
// A missing quota hash means the next cold load reads the settled rows from PG.
export const SETTLE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'reserved', 0 - tonumber(ARGV[1]))
if tonumber(ARGV[2]) ~= 0 then redis.call('HINCRBY', KEYS[1], 'used', ARGV[2]) end
return 1
`

// Undo a reservation whose PENDING row could not be written (insert failed,
// or the row already existed). KEYS[1] quota, KEYS[2] idempotency record.
// ARGV[1] units, ARGV[2] the idempotency value this request wrote,
// ARGV[3] replacement idempotency value ('' = delete), ARGV[4] TTL (s).
export const RELEASE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'reserved', 0 - tonumber(ARGV[1])) end
if redis.call('GET', KEYS[2]) == ARGV[2] then
  if ARGV[3] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
end
return 1
`

// Create a hash only if absent (cold-cache fill); ARGV[1] TTL in s (0 = none),
// then field/value pairs.
export const FILL_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if tonumber(ARGV[1]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1
`

export function defineScripts(redis) {
  redis.defineCommand("usageValidate", { numberOfKeys: 7, lua: VALIDATE_LUA })
  redis.defineCommand("usageSettle", { numberOfKeys: 1, lua: SETTLE_LUA })
  redis.defineCommand("usageRelease", { numberOfKeys: 2, lua: RELEASE_LUA })
  redis.defineCommand("hashFill", { numberOfKeys: 1, lua: FILL_LUA })
  return redis
}

/** UNLINK every key under prefix; bounded by maxRounds SCAN calls. */
export async function wipePrefix(redis, prefix, maxRounds = 100000) {
  let cursor = "0"
  let removed = 0
  for (let round = 0; round < maxRounds; round++) {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
    if (keys.length) removed += await redis.unlink(...keys)
    cursor = next
    if (cursor === "0") break
  }
  return removed
}

export const SCHEMA_SQL = `
DROP TABLE IF EXISTS usage_logs, api_keys, workspaces, plans, feature_costs CASCADE;
CREATE TABLE plans (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  credits_allocation numeric(20,4) NOT NULL,
  multiplier numeric(10,4) NOT NULL DEFAULT 1,
  rate_limit_per_minute bigint NOT NULL,
  rate_limit_per_day bigint NOT NULL
);
CREATE TABLE workspaces (
  id uuid PRIMARY KEY,
  display_name text NOT NULL,
  plan_id uuid NOT NULL REFERENCES plans(id)
);
CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id),
  key_hash char(64) NOT NULL UNIQUE,
  prefix text NOT NULL,
  is_test_key boolean NOT NULL DEFAULT false,
  expires_at timestamptz,
  revoked_at timestamptz
);
CREATE TABLE feature_costs (
  feature_key text PRIMARY KEY,
  internal_cost_credits numeric(12,4) NOT NULL
);
-- No foreign keys on the hot table: each one would take a KEY SHARE lock on
-- the (single, hot) workspace / api key row per insert. Ids come from
-- validated records. Run the server with --fk to add them and compare.
CREATE TABLE usage_logs (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL,
  api_key_id uuid NOT NULL,
  request_id text NOT NULL,
  fingerprint char(64) NOT NULL,
  feature_key text NOT NULL,
  endpoint text NOT NULL,
  method text NOT NULL,
  credits_reserved numeric(12,4) NOT NULL,
  credits_charged numeric(12,4),
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','SUCCESS','FAILED','EXPIRED')),
  model_used text,
  input_tokens integer,
  output_tokens integer,
  latency_ms integer,
  failure_type text,
  failure_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  committed_at timestamptz
);
CREATE UNIQUE INDEX usage_logs_idempotency ON usage_logs (workspace_id, request_id, fingerprint);
`

export const FK_SQL = `
ALTER TABLE usage_logs ADD FOREIGN KEY (workspace_id) REFERENCES workspaces(id);
ALTER TABLE usage_logs ADD FOREIGN KEY (api_key_id) REFERENCES api_keys(id);
`

/** Make sure database `name` exists (connects to the maintenance db). */
export async function ensureDatabase(pg, baseUrl, name) {
  const admin = new pg.Client({ connectionString: baseUrl.replace(/\/[^/]*$/, "/postgres") })
  await admin.connect()
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
    if (!rowCount) await admin.query(`CREATE DATABASE "${name.replaceAll("\"", "")}"`)
  } finally {
    await admin.end()
  }
}

/**
 * Drop and re-create the schema, then seed one plan + workspace + live key
 * (and optionally a test key) per entry of `workspaces` ({credits, rpm, rpd}).
 * Returns the keys document drive.mjs reads (see README: "keys file").
 */
export async function seedWorkspaces(
  client,
  { workspaces, testKeys = false, fk = false, internalSecret = DEFAULTS.internalSecret }
) {
  await client.query("SET client_min_messages = warning")
  await client.query(SCHEMA_SQL)
  if (fk) await client.query(FK_SQL)
  await client.query("INSERT INTO feature_costs SELECT unnest($1::text[]), $2::numeric", [
    FEATURE_KEYS,
    DEFAULTS.featureCost
  ])
  const keys = []
  for (let i = 0; i < workspaces.length; i++) {
    const w = { credits: DEFAULTS.credits, rpm: DEFAULTS.rpm, rpd: DEFAULTS.rpd, ...workspaces[i] }
    const id = benchIdentity(i)
    await client.query("INSERT INTO plans VALUES ($1, $2, $3, 1, $4, $5)", [
      id.planId,
      `Bench plan ${i}`,
      String(w.credits),
      String(w.rpm),
      String(w.rpd)
    ])
    await client.query("INSERT INTO workspaces VALUES ($1, $2, $3)", [id.workspaceId, `bench-${i}`, id.planId])
    await client.query(
      "INSERT INTO api_keys (id, workspace_id, key_hash, prefix, is_test_key) VALUES ($1, $2, $3, $4, false)",
      [id.apiKeyId, id.workspaceId, sha256hex(id.apiKey), id.apiKey.slice(0, 12)]
    )
    keys.push({ api_key: id.apiKey, client_id: id.clientId, credits: fromUnits(toUnits(String(w.credits))) })
    if (testKeys) {
      await client.query(
        "INSERT INTO api_keys (id, workspace_id, key_hash, prefix, is_test_key) VALUES ($1, $2, $3, $4, true)",
        [id.testKeyId, id.workspaceId, sha256hex(id.testKey), id.testKey.slice(0, 12)]
      )
      keys.push({ api_key: id.testKey, client_id: id.clientId, is_test_key: true })
    }
  }
  return { internal_api_key: internalSecret, feature_key: "api.extract_cues.resume", keys }
}

/** Parse --name value / --flag arguments into an object (values are strings). */
export function parseArgs(argv, booleans = []) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`)
    const eq = a.indexOf("=")
    if (eq > 0) {
      out[a.slice(2, eq)] = a.slice(eq + 1)
      continue
    }
    const name = a.slice(2)
    if (booleans.includes(name)) {
      out[name] = true
      continue
    }
    if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`)
    out[name] = argv[++i]
  }
  return out
}

const round3 = (x) => Math.round(x * 1000) / 1000

/** Percentiles over a Float64Array of samples (ms). */
export function summarize(samples, n) {
  if (!n) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null }
  const s = samples.slice(0, n).toSorted()
  const at = (p) => s[Math.min(n - 1, Math.ceil(p * n) - 1)]
  let sum = 0
  for (let i = 0; i < n; i++) sum += s[i]
  const r = round3
  return { count: n, p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(s[n - 1]), mean: r(sum / n) }
}

/** Growable Float64Array sample buffer. */
export class Samples {
  constructor(cap = 1 << 16) {
    this.buf = new Float64Array(cap)
    this.n = 0
  }
  push(v) {
    if (this.n === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2)
      b.set(this.buf)
      this.buf = b
    }
    this.buf[this.n++] = v
  }

  stats() {
    return summarize(this.buf, this.n)
  }
}

/** Only loopback targets are allowed from this harness. */
export function assertLoopback(url) {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "")
  const ok = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)
  if (!ok) throw new Error(`refusing to target ${host}: only loopback (127.0.0.0/8, ::1, localhost) is allowed`)
}
