/**
 * `npm start` on a machine with nothing but Node (`CUEBX_INFRA=embedded`, its data directory a
 * fresh temporary one): the whole system comes up, a newcomer signs up, reads the code from the
 * mail folder, verifies it, signs in and creates an API key, and SIGTERM stops everything, the
 * embedded PostgreSQL included.
 */
import { freePort, repositoryRoot } from "@cuebx/testing"
import { assert, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { spawn } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The ids of `root` and of every process below it, detached ones included. */
const processTree = (root: number): ReadonlyArray<number> => {
  const parents = new Map<number, number>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // `pid (comm) state ppid ...`; the command name may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]))
    } catch {
      // The process ended meanwhile.
    }
  }
  const tree = [root]
  for (let index = 0; index < tree.length; index++) {
    for (const [pid, parent] of parents) if (parent === tree[index]) tree.push(pid)
  }
  return tree
}

const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")
  } catch {
    return ""
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")
  } catch {
    return false
  }
}

interface Answer {
  readonly status: number
  readonly json: unknown
}

const request = (base: string, method: string, path: string, options: { body?: unknown; token?: string } = {}) =>
  Effect.promise(async (): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` })
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
    })
    const text = await response.text()
    return { status: response.status, json: text === "" ? undefined : JSON.parse(text) }
  })

const eventually = <A>(check: Effect.Effect<A>, until: (value: A) => boolean, timeout: `${number} seconds`) =>
  check.pipe(Effect.repeat({ until, schedule: Schedule.spaced("250 millis") }), Effect.timeout(timeout), Effect.orDie)

it.live(
  "npm start with CUEBX_INFRA=embedded: sign up, read the code, verify, sign in, API key; SIGTERM leaves nothing",
  () =>
    Effect.gen(function*() {
      const home = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const directory = mkdtempSync(join(tmpdir(), "cuebx-start-"))
          // As root, the embedded server runs as the postgres account, which must reach the directory.
          chmodSync(directory, 0o755)
          return directory
        }),
        (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
      )
      const dataDirectory = join(home, ".data")
      const port = yield* freePort
      const base = `http://127.0.0.1:${port}`
      const output: Array<string> = []
      const start = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const child = spawn("sh", ["packages/toolchain/bootstrap.sh", "start"], {
            cwd: repositoryRoot,
            env: {
              // The machine's own settings (PATH, HOME and the package manager's configuration).
              ...process.env,
              CUEBX_INFRA: "embedded",
              CUEBX_DATA_DIR: dataDirectory,
              PORT: String(port),
              HOST: "127.0.0.1"
            },
            stdio: ["ignore", "pipe", "pipe"]
          })
          child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")))
          child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")))
          return child
        }),
        // Should the test fail half-way, nothing it started may stay behind.
        (child) =>
          Effect.sync(() => {
            for (const pid of processTree(child.pid!)) if (isAlive(pid)) process.kill(pid, "SIGKILL")
          })
      )
      const exited = Effect.callback<number | string>((resume) => {
        if (start.exitCode !== null) return resume(Effect.succeed(start.exitCode))
        start.once("exit", (code, signal) => resume(Effect.succeed(code ?? signal ?? "unknown")))
      })

      const ready = yield* eventually(
        request(base, "GET", "/health/ready").pipe(Effect.catchDefect(() => Effect.succeed({ status: 0, json: null }))),
        (answer) => answer.status === 200 || start.exitCode !== null,
        "120 seconds"
      )
      assert.deepStrictEqual(ready.json, { status: "ready", checks: { database: "ok", redis: "ok" } }, output.join(""))
      assert.isTrue(output.join("").includes("embedded PostgreSQL at"), output.join(""))

      const email = "newcomer@example.com"
      const password = "Correct-Horse-Battery-9"
      const signup = yield* request(base, "POST", "/auth/signup", { body: { email, password, full_name: "New Comer" } })
      assert.strictEqual(signup.status, 201, JSON.stringify(signup.json))

      // The code, as a newcomer reads it: in the mail folder, the file the log line names.
      const mail = join(dataDirectory, "mail")
      const [textFile] = yield* eventually(
        Effect.sync(() => existsSync(mail) ? readdirSync(mail).filter((file) => file.endsWith(".txt")) : []),
        (files) => files.length > 0,
        "30 seconds"
      )
      assert.include(output.join(""), textFile!)
      const text = readFileSync(join(mail, textFile!), "utf8")
      assert.include(text, `To: New Comer <${email}>`)
      const code = /Your code: (\d{6})/.exec(text)?.[1]
      assert.isDefined(code, text)

      const verified = yield* request(base, "POST", "/auth/signup/verify", { body: { email, otp_code: code! } })
      assert.strictEqual(verified.status, 200, JSON.stringify(verified.json))
      const signin = yield* request(base, "POST", "/auth/signin", { body: { email, password } })
      assert.strictEqual(signin.status, 200, JSON.stringify(signin.json))
      const token = (signin.json as { access_token: string }).access_token

      const workspaces = yield* request(base, "GET", "/api/workspaces", { token })
      const [personal] = (workspaces.json as { workspaces: ReadonlyArray<{ id: string; is_personal: boolean }> })
        .workspaces.filter((workspace) => workspace.is_personal)
      const key = yield* request(base, "POST", `/api/workspaces/${personal!.id}/api-keys`, {
        token,
        body: { name: "laptop" }
      })
      assert.strictEqual(key.status, 201, JSON.stringify(key.json))
      assert.match((key.json as { api_key: string }).api_key, /^cbx_live_/)

      // The CLI, run meanwhile, uses the running embedded server and leaves it running.
      const cli = yield* Effect.callback<{ readonly code: number | null; readonly text: string }>((resume) => {
        const child = spawn(process.execPath, ["apps/cli/src/main.ts", "dlq", "list"], {
          cwd: repositoryRoot,
          env: { ...process.env, CUEBX_INFRA: "embedded", CUEBX_DATA_DIR: dataDirectory },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let text = ""
        child.stdout.on("data", (chunk: Buffer) => void (text += chunk.toString("utf8")))
        child.stderr.on("data", (chunk: Buffer) => void (text += chunk.toString("utf8")))
        child.once("exit", (code) => resume(Effect.succeed({ code, text })))
      })
      assert.strictEqual(cli.code, 0, cli.text)
      assert.include(cli.text, "Using the embedded PostgreSQL already running")
      assert.include(cli.text, "pending dead letters")
      assert.strictEqual((yield* request(base, "GET", "/health/ready")).status, 200)

      // SIGTERM: every process of the start, the embedded PostgreSQL and its watchdog included, ends.
      const tree = processTree(start.pid!)
      // One program is the whole system: the API, with the consumers and the scheduler inside.
      // `npm start` runs the programs bundled: packages/toolchain/dist/<program>.js.
      const programs = tree.map(commandLine).filter((line) => line.includes("packages/toolchain/dist/"))
      assert.deepStrictEqual(programs.map((line) => /dist\/(\w+)\.js/.exec(line)?.[1]), ["api"], programs.join("\n"))
      assert.isTrue(tree.map(commandLine).some((line) => line.includes(join(dataDirectory, "postgres"))))
      start.kill("SIGTERM")
      assert.strictEqual(yield* exited, 0, output.join(""))
      yield* eventually(Effect.sync(() => tree.filter(isAlive)), (alive) => alive.length === 0, "30 seconds")
      assert.isFalse(existsSync(join(dataDirectory, "postgres", "postmaster.pid")))
    }).pipe(Effect.scoped),
  180_000
)
