/**
 * How the benches start CueBX's programs: as `npm start` does, bundled (`packages/toolchain`'s
 * build, run once per bench), or from their sources in a checkout that has no bundler.
 */
import { programNodeFlags } from "@cuebx/toolchain"
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
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
