/**
 * Which infrastructure a program runs on (`CUEBX_INFRA`): the configured or local PostgreSQL,
 * Redis and RabbitMQ (`external`), parts embedded in the program (`embedded`: PostgreSQL from the
 * npm registry under the data directory, an in-process cache, database-backed queues), or, for
 * each part whose URL is unset, the local default when it answers and the embedded part otherwise
 * (`auto`, the default outside production). Programs resolve it once and provide `Infrastructure`.
 */
import { Config, Context, Effect, Layer, Option } from "effect"
import { createConnection } from "node:net"
import { relative, resolve } from "node:path"
import { developmentDatabaseUrl } from "./Database.ts"
import { isProduction } from "./Environment.ts"

export const developmentRedisUrl = "redis://localhost:6379/0"
export const developmentRabbitmqUrl = "amqp://guest:guest@localhost:5672//"

export type InfraMode = "auto" | "embedded" | "external"

/** `CUEBX_INFRA`; `auto` outside production, `external` in production (where the guard refuses the others). */
export const InfraModeSetting: Config.Config<InfraMode> = Config.all({
  mode: Config.option(Config.Literals(["auto", "embedded", "external"], "CUEBX_INFRA")),
  production: isProduction
}).pipe(Config.map(({ mode, production }) => Option.getOrElse(mode, () => production ? "external" : "auto")))

/** `CUEBX_DATA_DIR` (default `.data`, in the working directory): the embedded database and the mail folder. */
export const DataDirectory = Config.String("CUEBX_DATA_DIR").pipe(
  Config.withDefault(".data"),
  Config.map((path) => resolve(path))
)

/** `./.data` for a directory under the working directory, else the absolute path. */
export const displayPath = (path: string) => {
  const inside = relative(process.cwd(), path)
  return inside === "" || inside.startsWith("..") ? path : `./${inside}`
}

/** Where each part runs: a server at a URL (`external`) or inside this program (`embedded`). */
export type Placement = "external" | "embedded"

export interface InfraChoice {
  /** PostgreSQL: at `DATABASE_URL` (or the local default), or a server this program starts under the data directory. */
  readonly database: Placement
  /** Redis-backed stores: in Redis, or in this process's memory. */
  readonly cache: Placement
  /** Queues: RabbitMQ, or rows of PostgreSQL handed to the handlers by this program. */
  readonly broker: Placement
}

export const allExternal: InfraChoice = { database: "external", cache: "external", broker: "external" }

/** Whether anything is embedded: such a deployment runs API, worker and scheduler in one process. */
export const hasEmbeddedParts = (choice: InfraChoice) =>
  choice.database === "embedded" || choice.cache === "embedded" || choice.broker === "embedded"

/** The one start-up line: what was chosen, and how to choose otherwise. */
export const describeChoice = (choice: InfraChoice, mode: InfraMode, dataDirectory: string) => {
  const parts = [
    choice.database === "embedded" ? `embedded PostgreSQL at ${dataDirectory}/postgres` : "PostgreSQL at DATABASE_URL",
    choice.cache === "embedded" ? "in-process cache" : "Redis at REDIS_URL",
    choice.broker === "embedded" ? "database-backed queues" : "RabbitMQ at RABBITMQ_URL"
  ]
  const howToSwitch = mode === "external"
    ? "CUEBX_INFRA=embedded runs without them"
    : "set DATABASE_URL, REDIS_URL and RABBITMQ_URL, or CUEBX_INFRA=external, to use servers"
  return `Infrastructure (CUEBX_INFRA=${mode}): ${parts.join(", ")}; ${howToSwitch}`
}

/** Whether something accepts TCP connections at the URL's host and port, within `timeoutMillis`. */
export const answers = (url: string, defaultPort: number, timeoutMillis = 500): Effect.Effect<boolean> =>
  Effect.callback<boolean>((resume) => {
    const parsed = new URL(url)
    const socket = createConnection({
      host: parsed.hostname.replace(/^\[|\]$/g, ""),
      port: Number(parsed.port || defaultPort)
    })
    const done = (ok: boolean) => {
      socket.destroy()
      resume(Effect.succeed(ok))
    }
    socket.setTimeout(timeoutMillis, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
    return Effect.sync(() => socket.destroy())
  })

const UrlsSet = Config.all({
  database: Config.option(Config.String("DATABASE_URL")),
  cache: Config.option(Config.String("REDIS_URL")),
  broker: Config.option(Config.String("RABBITMQ_URL"))
})

/** The servers `auto` looks for when a part's URL is unset. */
export const localDefaults = {
  database: { url: developmentDatabaseUrl, port: 5432 },
  cache: { url: developmentRedisUrl, port: 6379 },
  broker: { url: developmentRabbitmqUrl, port: 5672 }
}

/** A configured URL is used as it is; a local default only if it answers. */
const place = (configured: Option.Option<string>, local: { readonly url: string; readonly port: number }) =>
  Option.isSome(configured)
    ? Effect.succeed<Placement>("external")
    : Effect.map(answers(local.url, local.port), (up): Placement => up ? "external" : "embedded")

/** Resolves `CUEBX_INFRA`, probing the local default of each part whose URL is unset (in `auto` only). */
export const resolveInfrastructure = (defaults = localDefaults) =>
  Effect.gen(function*() {
    const mode = yield* InfraModeSetting
    if (mode !== "auto") {
      const placement: Placement = mode
      return { mode, choice: { database: placement, cache: placement, broker: placement } }
    }
    const urls = yield* UrlsSet
    const choice: InfraChoice = yield* Effect.all({
      database: place(urls.database, defaults.database),
      cache: place(urls.cache, defaults.cache),
      broker: place(urls.broker, defaults.broker)
    }, { concurrency: "unbounded" })
    return { mode, choice }
  })

/**
 * The resolved choice. Its default (everything external, at the configured URLs) is what tests and
 * library layers see; each program provides the resolved one (`ResolvedInfrastructure`).
 */
export const Infrastructure = Context.Reference<InfraChoice>("@cuebx/config/Infrastructure", {
  defaultValue: () => allExternal
})

/** Resolves `CUEBX_INFRA` once for the program and logs what was chosen. */
export const ResolvedInfrastructure = Layer.effect(
  Infrastructure,
  Effect.gen(function*() {
    const { mode, choice } = yield* resolveInfrastructure()
    yield* Effect.logInfo(describeChoice(choice, mode, displayPath(yield* DataDirectory)))
    return choice
  })
)
