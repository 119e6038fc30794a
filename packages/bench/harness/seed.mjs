#!/usr/bin/env node
// Reset the limit server's database and Redis prefix, seed bench workspaces,
// and write the keys file that drive.mjs and audit.mjs read.
//
//   node seed.mjs --out keys.json [--workspaces 1] [--credits 1000000000]
//     [--rpm N] [--rpd N] [--test-keys] [--fk]
//     [--pg-url URL] [--redis-url URL] [--prefix benchlimit:] [--target URL]
//
// Run it while no limit server is up (the server caches feature costs and
// prepared statements; start it after seeding).
import Redis from "ioredis"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import pg from "pg"
import { DEFAULTS, ensureDatabase, parseArgs, seedWorkspaces, wipePrefix } from "./lib.mjs"

const a = parseArgs(process.argv.slice(2), ["test-keys", "fk"])
if (!a.out) throw new Error("--out is required")
const pgUrl = a["pg-url"] ?? process.env.BENCH_PG_URL ?? DEFAULTS.pgUrl
const redisUrl = a["redis-url"] ?? process.env.BENCH_REDIS_URL ?? DEFAULTS.redisUrl
const prefix = a.prefix ?? DEFAULTS.prefix
const n = Number(a.workspaces ?? 1)
if (!(Number.isInteger(n) && n >= 1 && n <= 1000)) throw new Error("--workspaces must be 1..1000")
const ws = { credits: a.credits ?? DEFAULTS.credits, rpm: a.rpm ?? DEFAULTS.rpm, rpd: a.rpd ?? DEFAULTS.rpd }

await ensureDatabase(pg, pgUrl, new URL(pgUrl).pathname.slice(1))
const client = new pg.Client({ connectionString: pgUrl })
await client.connect()
let doc
try {
  doc = await seedWorkspaces(client, {
    workspaces: Array.from({ length: n }, () => ws),
    testKeys: !!a["test-keys"],
    fk: !!a.fk,
    internalSecret: a["internal-secret"] ?? DEFAULTS.internalSecret
  })
  // Flush the previous run's dirty pages now rather than during the next measurement.
  await client.query("CHECKPOINT")
} finally {
  await client.end()
}
const redis = new Redis(redisUrl)
const wiped = await wipePrefix(redis, prefix)
await redis.quit()

if (a.target) doc = { target: a.target, ...doc }
mkdirSync(dirname(a.out), { recursive: true })
writeFileSync(a.out, JSON.stringify(doc, null, 2) + "\n")
console.error(
  `seed: ${n} workspace(s), ${doc.keys.length} key(s), ${ws.credits} credits each; ` +
    `wiped ${wiped} Redis key(s) under ${prefix}; keys file ${a.out}`
)
