/**
 * `npm start`: runs CueBX in the foreground on the infrastructure `CUEBX_INFRA` selects, its logs
 * on this stdout. On servers (PostgreSQL, Redis, RabbitMQ) it runs the API, the worker and the
 * scheduler as three processes; with any part embedded, the API alone, which is then the whole
 * system. Ctrl-C / SIGTERM is passed on to each, which shut down gracefully; if one of them dies,
 * the others are stopped and the exit code is passed on.
 */
import {
  ConfigSource,
  developmentDatabaseUrl,
  developmentRabbitmqUrl,
  developmentRedisUrl,
  hasEmbeddedParts,
  resolveInfrastructure
} from "@cuebx/config"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { programNodeFlags } from "./ProgramFlags.ts"

// `--bundled`: run the programs `build.ts` bundled (what `npm start` does), else their sources.
const bundled = process.argv.includes("--bundled")
const programs = {
  api: bundled ? "packages/toolchain/dist/api.js" : "apps/api/src/main.ts",
  worker: bundled ? "packages/toolchain/dist/worker.js" : "apps/worker/src/main.ts",
  scheduler: bundled ? "packages/toolchain/dist/scheduler.js" : "apps/scheduler/src/main.ts"
} as const

const resolved = await Effect.runPromise(
  resolveInfrastructure().pipe(Effect.provide(ConfigSource), Effect.result)
)
if (resolved._tag === "Failure") {
  console.error(`[start] ${resolved.failure.message}`)
  process.exit(1)
}
const { choice } = resolved.success

// The parts found on their local defaults are passed on as set, so the programs do not look again.
const environment: Record<string, string | undefined> = { ...process.env }
if (choice.database === "external") environment["DATABASE_URL"] ??= developmentDatabaseUrl
if (choice.cache === "external") environment["REDIS_URL"] ??= developmentRedisUrl
if (choice.broker === "external") environment["RABBITMQ_URL"] ??= developmentRabbitmqUrl

const started: ReadonlyArray<keyof typeof programs> = hasEmbeddedParts(choice)
  ? ["api"]
  : ["api", "worker", "scheduler"]

const children = new Map<string, ChildProcess>()
let stopping = false
let exitCode = 0

const stopAll = (signal: NodeJS.Signals) => {
  stopping = true
  for (const child of children.values()) child.kill(signal)
}

for (const name of started) {
  const child = spawn(process.execPath, [...programNodeFlags(environment), programs[name]], {
    stdio: "inherit",
    env: environment
  })
  children.set(name, child)
  child.on("exit", (code, signal) => {
    children.delete(name)
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? `code ${code}`}); stopping the others`)
      exitCode = code === null || code === 0 ? 1 : code
      stopAll("SIGTERM")
    }
    if (children.size === 0) process.exit(exitCode)
  })
}

process.on("SIGINT", () => stopAll("SIGTERM"))
process.on("SIGTERM", () => stopAll("SIGTERM"))
