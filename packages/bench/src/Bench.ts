/**
 * `npm run bench`: `GET /auth/me` (`AuthMeBench`), then metered usage (`UsageBench`), each
 * against this machine's speed limit. `--api-root <checkout>` measures another checkout with
 * both; every other option is the usage bench's (`--connections`, `--duration`, `--repeat`, ...).
 */
import { spawn } from "node:child_process"
import { resolve } from "node:path"

const args = process.argv.slice(2)
const rootAt = args.indexOf("--api-root")
const root = rootAt === -1 ? [] : ["--api-root", args[rootAt + 1] ?? ""]

const run = (file: string, extra: ReadonlyArray<string>) =>
  new Promise<number>((done) => {
    const child = spawn(process.execPath, [resolve(import.meta.dirname, file), ...extra], { stdio: "inherit" })
    child.on("exit", (code) => done(code ?? 1))
  })

const authMe = await run("AuthMeBench.ts", root)
const usage = await run("UsageBench.ts", args)
process.exit(authMe !== 0 ? authMe : usage)
