#!/usr/bin/env node
// Server-side ledger audit of the limit server's stores after a run:
// per workspace, Postgres usage rows against the plan allowance and against
// the Redis counters that the validate script reads.
//
//   node audit.mjs [--pg-url URL] [--redis-url URL] [--prefix benchlimit:] [--allow-pending]
//
// Checks: charged + pending <= allocation (no overspend); Redis used/reserved
// equal the Postgres sums (when the quota hash is cached); no PENDING rows
// left (unless --allow-pending). stdout: one JSON object; exit 4 on failure.
import Redis from "ioredis"
import pg from "pg"
import { DEFAULTS, fromUnits, parseArgs, redisKeys, toUnits } from "./lib.mjs"

const a = parseArgs(process.argv.slice(2), ["allow-pending"])
const pgUrl = a["pg-url"] ?? process.env.BENCH_PG_URL ?? DEFAULTS.pgUrl
const redisUrl = a["redis-url"] ?? process.env.BENCH_REDIS_URL ?? DEFAULTS.redisUrl
const K = redisKeys(a.prefix ?? DEFAULTS.prefix)

pg.types.setTypeParser(1700, (v) => v)
const client = new pg.Client({ connectionString: pgUrl })
await client.connect()
const redis = new Redis(redisUrl)
let rows
try {
  ;({ rows } = await client.query(`
    SELECT w.id, p.credits_allocation AS alloc,
      coalesce(sum(u.credits_charged) FILTER (WHERE u.status = 'SUCCESS'), 0) AS charged,
      coalesce(sum(u.credits_reserved) FILTER (WHERE u.status = 'PENDING'), 0) AS pending_credits,
      count(u.id) FILTER (WHERE u.status = 'PENDING') AS pending,
      count(u.id) FILTER (WHERE u.status = 'SUCCESS') AS success,
      count(u.id) FILTER (WHERE u.status = 'FAILED') AS failed,
      coalesce(sum(u.credits_charged) FILTER (WHERE u.status = 'FAILED'), 0) AS failed_charged
    FROM workspaces w JOIN plans p ON p.id = w.plan_id LEFT JOIN usage_logs u ON u.workspace_id = w.id
    GROUP BY w.id, p.credits_allocation ORDER BY w.id`))
} finally {
  await client.end()
}

const workspaces = []
for (const r of rows) {
  const [used, reserved] = await redis.hmget(K.quota(r.id), "used", "reserved")
  const charged = toUnits(r.charged)
  const pendingUnits = toUnits(r.pending_credits)
  const w = {
    workspace_id: r.id,
    allocation: fromUnits(toUnits(r.alloc)),
    charged: fromUnits(charged),
    pending_credits: fromUnits(pendingUnits),
    rows: { success: Number(r.success), failed: Number(r.failed), pending: Number(r.pending) },
    redis: used == null ? null : { used: fromUnits(Number(used)), reserved: fromUnits(Number(reserved)) }
  }
  w.no_overspend = charged + pendingUnits <= toUnits(r.alloc)
  w.failed_charge_free = toUnits(r.failed_charged) === 0
  w.redis_matches = used == null || (Number(used) === charged && Number(reserved) === pendingUnits)
  w.ok = w.no_overspend && w.failed_charge_free && w.redis_matches && (a["allow-pending"] || w.rows.pending === 0)
  workspaces.push(w)
}
await redis.quit()
const ok = workspaces.every((w) => w.ok)
process.stdout.write(JSON.stringify({ ok, workspaces }) + "\n")
process.exit(ok ? 0 : 4)
