/**
 * `npm start`: runs the API, the worker and the scheduler as three processes in the foreground,
 * their logs on this stdout. Ctrl-C / SIGTERM is passed on to all three, which shut down
 * gracefully; if one of them dies, the others are stopped and the exit code is passed on.
 */
import { type ChildProcess, spawn } from "node:child_process"

const programs = {
  api: "apps/api/src/main.ts",
  worker: "apps/worker/src/main.ts",
  scheduler: "apps/scheduler/src/main.ts"
} as const

const children = new Map<string, ChildProcess>()
let stopping = false
let exitCode = 0

const stopAll = (signal: NodeJS.Signals) => {
  stopping = true
  for (const child of children.values()) child.kill(signal)
}

for (const [name, entry] of Object.entries(programs)) {
  const child = spawn(process.execPath, [entry], { stdio: "inherit" })
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
