/**
 * How the benches start CueBX's programs: as `npm start` does, bundled (`packages/toolchain`'s
 * build, run once per bench), or from their sources in a checkout that has no bundler; and how
 * they wait for, stop and measure them.
 */
import { programNodeFlags } from "@cuebx/toolchain"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"

export type Program = "api" | "worker" | "scheduler"

/** The `node` flags `npm start` runs the programs with. */
export const programFlags = programNodeFlags()

/** Builds the bundles of `apiRoot` when it can; returns the entry file of each program (relative to `apiRoot`). */
export const programEntries = (apiRoot: string): Record<Program, string> => {
  const build = join(apiRoot, "packages/toolchain/src/build.ts")
  if (!existsSync(build)) {
    return { api: "apps/api/src/main.ts", worker: "apps/worker/src/main.ts", scheduler: "apps/scheduler/src/main.ts" }
  }
  const built = spawnSync(process.execPath, [build], { cwd: apiRoot, stdio: ["ignore", "ignore", "inherit"] })
  if (built.status !== 0) throw new Error(`building the programs of ${apiRoot} failed`)
  return {
    api: "packages/toolchain/dist/api.js",
    worker: "packages/toolchain/dist/worker.js",
    scheduler: "packages/toolchain/dist/scheduler.js"
  }
}

export const sleep = (millis: number) => new Promise((done) => setTimeout(done, millis))

/** Runs `node args` to completion; fails when it exits with another code than 0. */
export const run = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) =>
  new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "inherit"]
    })
    child.on("exit", (code) => code === 0 ? done() : fail(new Error(`${args.join(" ")} exited with ${code}`)))
  })

/** Waits until `url` answers 2xx, polling every 250 ms, for at most `attempts` polls. */
export const waitFor = async (url: string, attempts = 360) => {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await fetch(url).then((response) => response.ok, () => false)) return
    await sleep(250)
  }
  throw new Error(`${url} did not come up`)
}

/** SIGTERM, then SIGKILL after 15 s; resolves once the process has exited. */
export const stop = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null) return done()
    child.once("exit", () => done())
    child.kill("SIGTERM")
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref()
  })

/** Peak and current resident memory of a process, in MB. */
export const memoryOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN)
  return { peakMb: Math.round(kb("VmHWM") / 1024), currentMb: Math.round(kb("VmRSS") / 1024) }
}
