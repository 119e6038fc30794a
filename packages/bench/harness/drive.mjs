#!/usr/bin/env node
// Closed-loop load driver for POST /api/internal/usage/validate and /commit.
// It speaks only the CueBX REST contract, so the same driver runs against the
// limit server here or against the real service.
//
//   node drive.mjs --target http://127.0.0.1:8787 --keys keys.json \
//     [--mode pair|validate] [--connections 16] [--duration 10] [--warmup 2]
//     [--fail-ratio 0] [--max-iterations 10000000] [--internal-key S]
//     [--feature api.extract_cues.resume] [--validate-path P] [--commit-path P]
//     [--timeout-ms 10000] [--drain-timeout 120] [--label NAME] [--out result.json]
//     [--watch-pid NAME=PID[,NAME=PID…]]
//
// Keys file (written by seed.mjs for the limit server; write one by hand for
// the real service):
//   { "internal_api_key": "...",              // X-Internal-API-Key (or --internal-key,
//                                             //  or $CUEBX_INTERNAL_API_KEY)
//     "target": "http://127.0.0.1:8787",      // optional, --target wins
//     "feature_key": "api.extract_cues.resume",
//     "keys": [ { "api_key": "cbx_live_…", "client_id": "ws_<32 hex>",
//                 "credits": "1000.0000" } ] } // credits: what the workspace may still
//                                             // spend; enables the overspend check
//
// Connection i uses keys[i % keys.length]; each connection is one keep-alive
// socket running one iteration at a time:
//   pair      validate (fresh request_id) -> if granted, commit(usage_id) with
//             success=true (or success=false for --fail-ratio of them)
//   validate  validate only; what it reserves is committed after the window
// Every loop stops at warmup+duration seconds or --max-iterations, whichever
// comes first; an iteration in flight at the deadline finishes (its commit
// included). Afterwards every granted usage_id not yet committed is committed
// (the drain, bounded by --drain-timeout), so a run leaves nothing PENDING.
//
// Correctness checks (all must hold, else exit 4): every granted usage_id was
// committed with success:true, no usage_id was granted twice, no HTTP or
// network errors, and per workspace, credits granted minus credits released
// by FAILED commits never exceed the allowance the keys file gives (a sound
// overspend check: what the driver saw granted is at most what the server
// reserved).
//
// CPU split (Linux): at the start and end of the measured window the driver
// reads /proc for the machine's busy time, its own process, the processes
// named by --watch-pid (e.g. server=1234), and every postgres and
// redis-server process; "other" is what the machine spent on anything else.
//
// stdout: one JSON object (also written to --out); stderr: a short summary.
//
// CueBX's copy (packages/bench/harness, from ../shared/bench): `--protocol rpc` sends the same
// loop through CueBX's typed RPC instead (POST /rpc, NDJSON frames of `Validate` and `Commit`),
// mapping each RPC exit to the REST answer it stands for, so every check stays the same.
import { createHash, randomBytes } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import http from "node:http"
import os from "node:os"
import { dirname } from "node:path"
import { performance } from "node:perf_hooks"
import { assertLoopback, FEATURE_KEYS, fromUnits, parseArgs, Samples, toUnits } from "./lib.mjs"

const a = parseArgs(process.argv.slice(2))
if (!a.keys) throw new Error("--keys FILE is required (see the header of drive.mjs)")
const keysDoc = JSON.parse(readFileSync(a.keys, "utf8"))
const target = new URL((a.target ?? keysDoc.target ?? "").replace(/\/$/, "") || "http://missing")
if (!a.target && !keysDoc.target) throw new Error("--target URL is required (or \"target\" in the keys file)")
assertLoopback(target.href)
if (target.protocol !== "http:") throw new Error("only http:// targets are supported")
const secret = a["internal-key"] ?? process.env.CUEBX_INTERNAL_API_KEY ?? keysDoc.internal_api_key
if (!secret) {
  throw new Error(
    "no internal API key: pass --internal-key, set CUEBX_INTERNAL_API_KEY, or put internal_api_key in the keys file"
  )
}
const keys = keysDoc.keys
if (!Array.isArray(keys) || !keys.length) throw new Error("keys file: \"keys\" must be a non-empty array")
for (const k of keys) {
  if (typeof k.api_key !== "string" || !/^ws_[a-f0-9]{32}$/.test(k.client_id ?? "")) {
    throw new Error(`keys file: bad entry ${JSON.stringify(k)} (needs api_key and client_id ws_<32 hex>)`)
  }
}

const mode = a.mode ?? "pair"
if (mode !== "pair" && mode !== "validate") throw new Error("--mode must be pair or validate")
const connections = Number(a.connections ?? 16)
const duration = Number(a.duration ?? 10)
const warmup = Number(a.warmup ?? 2)
const maxIterations = Number(a["max-iterations"] ?? 10_000_000)
const failRatio = Number(a["fail-ratio"] ?? 0)
const timeoutMs = Number(a["timeout-ms"] ?? 10_000)
const drainTimeout = Number(a["drain-timeout"] ?? 120)
const feature = a.feature ?? keysDoc.feature_key ?? "api.extract_cues.resume"
const protocol = a.protocol ?? "rest"
if (protocol !== "rest" && protocol !== "rpc") throw new Error("--protocol must be rest or rpc")
const basePath = target.pathname.replace(/\/$/, "")
const validatePath = basePath + (a["validate-path"] ?? "/api/internal/usage/validate")
const commitPath = basePath + (a["commit-path"] ?? "/api/internal/usage/commit")
const check = (ok, msg) => {
  if (!ok) throw new Error(msg)
}
check(Number.isInteger(connections) && connections >= 1 && connections <= 1024, "--connections must be 1..1024")
check(duration > 0 && duration <= 600, "--duration must be in (0, 600] s")
check(warmup >= 0 && warmup <= 60, "--warmup must be in [0, 60] s")
check(maxIterations >= 1 && maxIterations <= 1e8, "--max-iterations must be 1..1e8")
check(failRatio >= 0 && failRatio <= 1, "--fail-ratio must be in [0, 1]")
check(drainTimeout > 0 && drainTimeout <= 600, "--drain-timeout must be in (0, 600] s")
check(FEATURE_KEYS.includes(feature), `--feature ${feature} is not in the contract's FeatureKey enum`)

// Hard stop: nothing here may outlive its time bound.
const hardLimitS = warmup + duration + drainTimeout + 2 * timeoutMs / 1000 + 30
setTimeout(() => {
  console.error(`drive: hard time limit (${hardLimitS} s) reached`)
  process.exit(3)
}, hardLimitS * 1000).unref()

// Allowance per workspace (client_id) for the overspend check.
const allowance = new Map()
for (const k of keys) {
  if (k.credits == null || k.is_test_key) continue
  const units = toUnits(String(k.credits))
  if (allowance.has(k.client_id) && allowance.get(k.client_id) !== units) {
    throw new Error(`keys file: client_id ${k.client_id} has two different credits values`)
  }
  allowance.set(k.client_id, units)
}

// ---------------------------------------------------------------------------
// CPU accounting from /proc (null elsewhere).
const watched = new Map() // pid -> name
for (const item of (a["watch-pid"] ?? "").split(",").filter(Boolean)) {
  const [name, pid] = item.split("=")
  check(name && /^\d+$/.test(pid ?? ""), `--watch-pid wants NAME=PID, got ${item}`)
  watched.set(Number(pid), name)
}
const CLK_TCK = 100 // USER_HZ: /proc reports utime/stime in 1/100 s on Linux
const AUTO_GROUPS = { postgres: "postgres", "redis-server": "redis" }
function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8")
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ")
    return { comm: s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")), ticks: Number(rest[11]) + Number(rest[12]) }
  } catch {
    return null
  }
}
function cpuSnapshot() {
  try {
    const l = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number)
    const perPid = new Map() // pid -> [group, ticks]
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue
      const pid = Number(d)
      const group = pid === process.pid ? "driver" : watched.get(pid)
      if (group) {
        const st = procStat(pid)
        if (st) perPid.set(pid, [group, st.ticks])
        continue
      }
      const st = procStat(pid)
      if (st && AUTO_GROUPS[st.comm]) perPid.set(pid, [AUTO_GROUPS[st.comm], st.ticks])
    }
    return {
      t: performance.now(),
      busy: l[0] + l[1] + l[2] + l[5] + l[6] + l[7],
      total: l.slice(0, 8).reduce((x, y) => x + y, 0),
      perPid
    }
  } catch {
    return null
  }
}
function cpuSplit(s0, s1) {
  if (!s0 || !s1) return null
  const sec = (s1.t - s0.t) / 1000
  const pct = (ticks) => Math.round(1000 * ticks / CLK_TCK / sec) / 10
  const groups = { driver: 0, postgres: 0, redis: 0 }
  for (const name of watched.values()) groups[name] = 0
  for (const [pid, [group, ticks]] of s1.perPid) groups[group] += ticks - (s0.perPid.get(pid)?.[1] ?? 0)
  const busy = s1.busy - s0.busy
  const named = Object.values(groups).reduce((x, y) => x + y, 0)
  const out = {
    window_s: Math.round(sec * 1000) / 1000,
    machine_busy_pct: Math.round(1000 * busy / Math.max(s1.total - s0.total, 1)) / 10
  }
  for (const [g, ticks] of Object.entries(groups)) out[`${g}_pct`] = pct(ticks)
  out.other_pct = Math.max(0, pct(busy - named))
  return out
}

// ---------------------------------------------------------------------------
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: connections,
  maxFreeSockets: connections,
  scheduling: "fifo"
})

/** POST a JSON body; never rejects: network failures come back as status 0. */
function post(path, body, contentType = "application/json") {
  return new Promise((resolve) => {
    const req = http.request({
      agent,
      hostname: target.hostname,
      port: target.port || 80,
      path,
      method: "POST",
      headers: { "content-type": contentType, "content-length": Buffer.byteLength(body), "x-internal-api-key": secret }
    }, (res) => {
      let data = ""
      res.setEncoding("utf8")
      res.on("data", (c) => {
        data += c
      })
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data }))
      res.on("error", (e) => resolve({ status: 0, error: e.code || e.message }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })))
    req.on("error", (e) => resolve({ status: 0, error: e.code || e.message }))
    req.end(body)
  })
}

// RPC: each call is a `Request` frame; the `Exit` frame becomes the REST answer it stands for (a
// typed refusal its status; a quota refusal a 429 without Retry-After, a rate-limit one with).
// Like the RPC client with batching, calls made while `--rpc-inflight` HTTP requests are already
// out travel together in the next one (every connection loop still waits for its own answer).
const rpcInflight = Number(a["rpc-inflight"] ?? 8)
let rpcId = 0
let rpcRunning = 0
const rpcPending = [] // { frame, id, resolve }
const rpcStatus = {
  UsageApiKeyMalformed: 400,
  UsageApiKeyRejected: 401,
  UsageUnauthorized: 401,
  UsageSubscriptionRequired: 402,
  UsageApiKeyOfOtherWorkspace: 403,
  UsageWorkspaceInactive: 403,
  UsageForbidden: 403,
  UsageRequestConflict: 409,
  UsageRateLimited: 429,
  UsageQuotaExceeded: 429
}
const rpcAnswer = (exit, raw) => {
  if (exit?._tag === "Success") return { status: 200, headers: {}, body: JSON.stringify(exit.value) }
  const error = exit?.cause?.[0]?.error
  const status = rpcStatus[error?._tag] ?? 500
  const headers = error?._tag === "UsageRateLimited" ? { "retry-after": String(error.retry_after_seconds) } : {}
  return { status, headers, body: JSON.stringify({ access: "denied", message: error?.message ?? raw }) }
}
function rpcPump() {
  while (rpcRunning < rpcInflight && rpcPending.length) {
    const calls = rpcPending.splice(0, 256)
    rpcRunning++
    post(basePath + "/rpc", calls.map((call) => call.frame).join(""), "application/ndjson").then((r) => {
      const exits = new Map()
      if (r.status === 200) {
        for (const line of r.body.split("\n")) {
          const message = parse(line)
          if (message?._tag === "Exit") exits.set(String(message.requestId), message.exit)
        }
      }
      for (const call of calls) {
        const exit = exits.get(String(call.id))
        call.resolve(
          exit === undefined ? (r.status === 200 ? { status: 500, body: r.body } : r) : rpcAnswer(exit, r.body)
        )
      }
    }).finally(() => {
      rpcRunning--
      rpcPump()
    })
  }
}
function postRpc(path, body) {
  const tag = path === validatePath ? "Validate" : "Commit"
  const id = rpcId++
  const frame = JSON.stringify({ _tag: "Request", id, tag, payload: JSON.parse(body), headers: [] }) + "\n"
  return new Promise((resolve) => {
    rpcPending.push({ frame, id, resolve })
    rpcPump()
  })
}

/** Both calls are idempotent by contract, so a network failure is retried (twice at most). */
async function postRetrying(path, body) {
  let r
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt) counts.retries++
    r = protocol === "rpc" ? await postRpc(path, body) : await post(path, body)
    if (r.status !== 0) return r
  }
  return r
}

const parse = (s) => {
  try {
    return JSON.parse(s)
  } catch {
    return null
  }
}

const runTag = randomBytes(4).toString("hex")
const validateBody = (key, requestId) =>
  JSON.stringify({
    request_id: requestId,
    client_id: key.client_id,
    feature_key: feature,
    api_key: key.api_key,
    endpoint: "/v1/extract-cues/resume",
    method: "POST",
    payload_hash: createHash("sha256").update(requestId).digest("hex"),
    client: { ip: "127.0.0.1", user_agent: "cuebx-bench-drive" },
    usage_estimate: { input_chars: 22000, max_output_tokens: 700, model: "gpt-4o-mini" }
  })
const commitBody = (key, usageId, success) =>
  JSON.stringify(
    success
      ? {
        api_key: key.api_key,
        usage_id: usageId,
        success: true,
        metrics: { model_used: "gpt-4o-mini", input_tokens: 1500, output_tokens: 500, latency_ms: 1200 }
      }
      : {
        api_key: key.api_key,
        usage_id: usageId,
        success: false,
        failure: { failure_type: "upstream_error", reason: "bench: simulated upstream failure" }
      }
  )

// ---------------------------------------------------------------------------
// Whole-run ledger (warm-up, window and drain): the correctness checks use it.
const counts = {
  validates: 0,
  granted: 0,
  denied_quota: 0,
  denied_rate: 0,
  validate_errors: 0,
  commits: 0,
  committed_success: 0,
  committed_failed: 0,
  commit_errors: 0,
  retries: 0,
  drained: 0
}
const errorSamples = []
const noteError = (what, r) => {
  if (errorSamples.length < 5) errorSamples.push(`${what}: ${r.status || r.error} ${(r.body ?? "").slice(0, 200)}`)
}
const outstanding = new Map() // usage_id -> { key, units } granted, not yet committed
const seen = new Set() // every usage_id ever granted
let duplicateIds = 0
const perWs = new Map() // client_id -> { granted, released } in units
const wsAcc = (id) => {
  let w = perWs.get(id)
  if (!w) perWs.set(id, w = { granted: 0, released: 0 })
  return w
}

// Measured-window figures.
const win = { iterations: 0, pairs: 0, granted: 0, denied: 0, errors: 0 }
const iterLat = new Samples()
const valLat = new Samples()
const comLat = new Samples()

async function validateOnce(key, requestId, record) {
  const t0 = performance.now()
  const r = await postRetrying(validatePath, validateBody(key, requestId))
  const dt = performance.now() - t0
  counts.validates++
  if (record) valLat.push(dt)
  const j = r.status ? parse(r.body) : null
  if (r.status === 200 && j && j.access === "granted" && typeof j.usage_id === "string") {
    counts.granted++
    if (seen.has(j.usage_id)) duplicateIds++
    seen.add(j.usage_id)
    const units = j.credits_reserved == null ? 0 : toUnits(String(j.credits_reserved))
    outstanding.set(j.usage_id, { key, units })
    wsAcc(key.client_id).granted += units
    return { granted: true, usageId: j.usage_id }
  }
  if (r.status === 429 || (j && j.access === "denied" && r.status < 500)) {
    // The contract sends Retry-After only for rate-limit denials.
    if (r.status === 429 && r.headers["retry-after"] == null) counts.denied_quota++
    else counts.denied_rate++
    return { denied: true }
  }
  counts.validate_errors++
  noteError("validate", r)
  return { error: true }
}

async function commitOnce(usageId, success, record) {
  const o = outstanding.get(usageId)
  const t0 = performance.now()
  const r = await postRetrying(commitPath, commitBody(o.key, usageId, success))
  if (record) comLat.push(performance.now() - t0)
  counts.commits++
  const j = r.status === 200 ? parse(r.body) : null
  if (j && j.success === true) {
    outstanding.delete(usageId)
    if (success) counts.committed_success++
    else {
      counts.committed_failed++
      wsAcc(o.key.client_id).released += o.units
    }
    return true
  }
  counts.commit_errors++
  noteError("commit", r)
  return false
}

let started = 0
let windowStart = 0
let windowEnd = 0
let deadline = 0
let issued = 0

async function connectionLoop(c) {
  const key = keys[c % keys.length]
  let n = 0
  while (performance.now() < deadline && issued < maxIterations) {
    issued++
    const t0 = performance.now()
    const record = t0 >= windowStart
    const v = await validateOnce(key, `req_${runTag}_${c.toString(36)}_${(n++).toString(36)}`, record)
    let ok = !v.error
    if (v.granted && mode === "pair") {
      ok = await commitOnce(v.usageId, !(failRatio > 0 && Math.random() < failRatio), record)
      if (ok && record) win.pairs++
    }
    const t1 = performance.now()
    if (!ok) await new Promise((resolve) => setTimeout(resolve, 10)) // no hot spin against a failing target
    if (!record) continue
    windowEnd = Math.max(windowEnd, t1)
    win.iterations++
    if (v.granted) {
      win.granted++
      if (ok) iterLat.push(t1 - t0)
    }
    if (v.denied) win.denied++
    if (!ok) win.errors++
  }
}

async function drain() {
  const until = performance.now() + drainTimeout * 1000
  const ids = [...outstanding.keys()]
  let next = 0
  const worker = async () => {
    while (next < ids.length && performance.now() < until) {
      const id = ids[next++]
      if (await commitOnce(id, true, false)) counts.drained++
    }
  }
  await Promise.all(Array.from({ length: Math.min(connections, ids.length) }, worker))
}

// ---------------------------------------------------------------------------
const startedAt = new Date().toISOString()
started = performance.now()
windowStart = started + warmup * 1000
deadline = windowStart + duration * 1000
const cpu0 = process.cpuUsage()
let cpuWin0 = null
let snap0 = null
let snap1 = null
const cpuMark = setTimeout(() => {
  cpuWin0 = process.cpuUsage()
  snap0 = cpuSnapshot()
}, warmup * 1000)
const cpuEnd = setTimeout(() => {
  snap1 = cpuSnapshot()
}, (warmup + duration) * 1000)
await Promise.all(Array.from({ length: connections }, (_, c) => connectionLoop(c)))
clearTimeout(cpuMark)
clearTimeout(cpuEnd)
if (!snap1) snap1 = cpuSnapshot()
const cpuWin = process.cpuUsage(cpuWin0 ?? cpu0)
if (!windowEnd) windowEnd = performance.now()
const elapsed = Math.max((windowEnd - windowStart) / 1000, 1e-3)
await drain()
agent.destroy()

const r1 = (x) => Math.round(x * 10) / 10
const workspaces = [...perWs].map(([clientId, w]) => {
  const limit = allowance.get(clientId)
  const net = w.granted - w.released
  return {
    client_id: clientId,
    allowance: limit == null ? null : fromUnits(limit),
    granted: fromUnits(w.granted),
    released: fromUnits(w.released),
    net_reserved: fromUnits(net),
    ok: limit == null ? null : net <= limit
  }
})
const overspendOk = workspaces.every((w) => w.ok !== false)
const errors = counts.validate_errors + counts.commit_errors
const checks = {
  grants_committed: outstanding.size === 0,
  outstanding_after_drain: outstanding.size,
  duplicate_usage_ids: duplicateIds,
  no_errors: errors === 0,
  overspend_ok: overspendOk,
  overspend_checked: workspaces.some((w) => w.ok != null),
  exact: counts.commit_errors === 0 // released credits are only known exactly without commit errors
}
checks.ok = checks.grants_committed && duplicateIds === 0 && checks.no_errors && overspendOk

const result = {
  label: a.label ?? `${mode}@${connections}`,
  protocol,
  target: target.origin + basePath,
  mode,
  connections,
  duration_s: duration,
  warmup_s: warmup,
  fail_ratio: failRatio,
  keys: keys.length,
  started_at: startedAt,
  node: process.version,
  host_cpus: os.cpus().length,
  // pair mode: validate+commit pairs per second; validate mode: granted validates per second
  rate_per_s: r1((mode === "pair" ? win.pairs : win.granted) / elapsed),
  http_rps: r1((valLat.n + comLat.n) / elapsed),
  window: { ...win, elapsed_s: Math.round(elapsed * 1000) / 1000 },
  latency_ms: {
    iteration: iterLat.stats(), // pair: validate start -> commit answered; validate: the validate
    validate: valLat.stats(),
    commit: comLat.stats()
  },
  counts,
  errors,
  error_samples: errorSamples,
  checks,
  overspend: workspaces,
  driver_cpu_pct: r1(100 * (cpuWin.user + cpuWin.system) / 1e6 / elapsed),
  cpu: cpuSplit(snap0, snap1) // % of one core during the window; machine_busy_pct of all cores
}
const json = JSON.stringify(result)
if (a.out) {
  mkdirSync(dirname(a.out), { recursive: true })
  writeFileSync(a.out, json + "\n")
}
process.stdout.write(json + "\n")

const L = result.latency_ms.iteration
const over = workspaces.filter((w) => w.ok != null)
process.stderr.write(
  `drive ${result.label} → ${result.target}: ${mode} x${connections} conns, ${duration}s (+${warmup}s warm-up)\n` +
    `  ${result.rate_per_s} ${mode === "pair" ? "pairs" : "validates"}/s, ${result.http_rps} HTTP req/s, ` +
    `p50 ${L.p50} ms, p99 ${L.p99} ms, driver CPU ${result.driver_cpu_pct}%` +
    (result.cpu
      ? `; CPU % of a core: ${
        Object.entries(result.cpu).filter(([k]) => k.endsWith("_pct") && k !== "machine_busy_pct").map(([k, v]) =>
          `${k.slice(0, -4)} ${v}`
        ).join(", ")
      }; machine ${result.cpu.machine_busy_pct}% busy`
      : "") +
    "\n" +
    `  granted ${counts.granted}, denied ${counts.denied_quota} quota + ${counts.denied_rate} rate, ` +
    `committed ${counts.committed_success} SUCCESS + ${counts.committed_failed} FAILED (drained ${counts.drained}), ` +
    `errors ${errors}, retries ${counts.retries}\n` +
    `  checks: every grant committed ${checks.grants_committed ? "yes" : `NO (${outstanding.size} left)`}, ` +
    `duplicate usage_ids ${duplicateIds}, overspend ${
      over.length ? (overspendOk ? "none" : "YES") : "not checked (no credits in keys file)"
    }` +
    (over.length
      ? ` (${over.map((w) => `${w.client_id.slice(0, 11)}…: net ${w.net_reserved} of ${w.allowance}`).join(", ")})`
      : "") +
    ` → ${checks.ok ? "OK" : "FAILED"}\n` +
    (errorSamples.length ? `  first errors: ${errorSamples.join(" | ")}\n` : "")
)
process.exit(checks.ok ? 0 : 4)
