/**
 * Contract-driven fuzzing: every operation of the API's own OpenAPI document, served in-process on
 * real infrastructure, gets fast-check requests of each class in `FuzzCases.ts` (valid, broken body
 * fields, raw bodies, odd path and query, odd credentials), and every answer is held to
 * `ResponseContract.ts`. `FUZZ_RUNS` (default 3) is the number of requests per class and
 * operation; `FUZZ_SEED` replays a run. What the suite cannot exercise is printed, never skipped.
 */
import { Redis } from "@cuebx/redis"
import { makeFakeStripe } from "@cuebx/testing"
import { layer } from "@effect/vitest"
import { Config, Effect, Layer, Option } from "effect"
import * as fc from "fast-check"
import { authTestLayer } from "../auth/support.ts"
import { cataloguePrices, Stripe, stripeEnv } from "../billing/support.ts"
import { caseClasses, type FuzzCase } from "./FuzzCases.ts"
import { type FixtureValues, FuzzFixtures } from "./FuzzFixtures.ts"
import { sendCase } from "./FuzzRequest.ts"
import { apiOperations, type Operation } from "./OpenApiOperations.ts"
import { isDocumentedModel, violations } from "./ResponseContract.ts"

const settings = Effect.runSync(Effect.gen(function*() {
  return yield* Config.all({
    runs: Config.Int("FUZZ_RUNS").pipe(Config.option),
    seed: Config.Int("FUZZ_SEED").pipe(Config.option)
  })
}))

const runs = Option.getOrElse(settings.runs, () => 3)
const seed = Option.getOrElse(settings.seed, () => Math.floor(Math.random() * 2 ** 31))
/** `npm run fuzz` (or any explicit setting) reports the seed and what each operation answered. */
const verbose = Option.isSome(settings.runs) || Option.isSome(settings.seed)

/** Written past Vitest's console capture: a green run shows it too. */
const report = (line: string) => process.stderr.write(`[fuzz] ${line}\n`)

/** One seed per operation and class, so replaying one does not depend on the others. */
const seedFor = (operation: Operation, className: string) => {
  let hash = seed
  for (const char of `${operation.id} ${className}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0
  return hash
}

/** What the suite cannot do for an operation: its requests stop short there. */
const gapsOf = (operation: Operation, fixtures: FixtureValues): ReadonlyArray<string> => [
  ...operation.otherBodyTypes.map((type) => `bodies in ${type} are not generated (only raw bodies are sent)`),
  ...operation.security.flat().flatMap((scheme) =>
    scheme._tag === "Unknown"
      ? [`security scheme "${scheme.name}" (${scheme.description}) is unknown: requests carry no credential for it`]
      : scheme._tag === "ApiKeyHeader" && scheme.header !== "x-internal-api-key" &&
          fixtures.workspaceApiKey === undefined
      ? [`no workspace API key for "${scheme.header}": requests stop at its 401`]
      : []
  ),
  ...operation.pathParameters
    .filter((parameter) =>
      (fixtures.known[parameter.name] ?? []).length === 0 && parameter.schema.enum === undefined &&
      parameter.schema.const === undefined
    )
    .map((parameter) => `no real value for path parameter {${parameter.name}}: requests stop at its 404`)
]

const resetRateLimits = Effect.gen(function*() {
  const redis = yield* Redis
  const keys = yield* redis.use((client) => client.keys(`${redis.keyPrefix}rate_limit:*`))
  // The client prefixes the keys it is given; KEYS answers them prefixed already.
  const unprefixed = keys.map((key) => key.slice(redis.keyPrefix.length))
  if (unprefixed.length > 0) yield* redis.use((client) => client.del(...unprefixed))
}).pipe(Effect.orDie)

const exerciseCase = (operation: Operation, className: string, fuzzCase: FuzzCase, statuses: Map<number, number>) =>
  Effect.gen(function*() {
    const fixtures = yield* FuzzFixtures
    const { response, sent } = yield* sendCase(operation, fuzzCase, yield* fixtures.current)
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
    const problems = [...violations(operation, sent, response)]
    const secured = operation.security.length > 0 &&
      operation.security.flat().every((scheme) => scheme._tag !== "Unknown")
    // A refusal in the response model is the request's business (an unknown API key in the body), not the credential's.
    if (className === "valid" && secured && response.status === 401 && !isDocumentedModel(operation, response)) {
      problems.push("a real credential was refused: the fuzzed requests do not get past authentication")
    }
    if (problems.length > 0) {
      throw new Error([
        `${sent.method} ${sent.url}`,
        `  headers: ${JSON.stringify(sent.headers)}`,
        `  body: ${JSON.stringify(sent.bodyPreview)}`,
        `answered ${response.status} ${JSON.stringify(response.headers)}`,
        `  ${response.text.length > 2000 ? `${response.text.slice(0, 2000)}…` : response.text}`,
        ...problems.map((problem) => `- ${problem}`)
      ].join("\n"))
    }
    // A 429 is a good answer, but must not hide the next requests.
    if (response.status === 429) yield* resetRateLimits
    if (sent.authenticated && operation.method !== "GET" && response.status < 300) yield* fixtures.heal
  })

const exercise = (operation: Operation) =>
  Effect.gen(function*() {
    const fixtures = yield* FuzzFixtures
    for (const gap of gapsOf(operation, yield* fixtures.current)) report(`${operation.id}: ${gap}`)
    const context = yield* Effect.context<Effect.Services<ReturnType<typeof exerciseCase>>>()
    const statuses = new Map<number, number>()
    for (const { cases, examples, name } of caseClasses(operation)) {
      const property = fc.asyncProperty(cases, (fuzzCase) =>
        Effect.runPromiseWith(context)(exerciseCase(operation, name, fuzzCase, statuses)))
      const result = yield* Effect.promise(() =>
        fc.check(property, {
          // Examples count among the runs: they come on top of the generated ones.
          numRuns: runs + examples.length,
          seed: seedFor(operation, name),
          examples: examples.map((example) => [example])
        })
      )
      if (result.failed) {
        return yield* Effect.die(
          new Error(
            `${operation.id}, ${name}: ${fc.defaultReportMessage(result)}\n${String(result.errorInstance)}\n` +
              `Replay with FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz`
          )
        )
      }
    }
    if (verbose) {
      const answers = [...statuses].toSorted(([a], [b]) =>
        a - b
      ).map(([status, count]) => `${status}×${count}`)
      report(`${operation.id}: ${answers.join(" ")} (fixtures rebuilt ${yield* fixtures.rebuilds} times so far)`)
    }
  })

const classesPerOperation = 5
/** Generous: an argon2 hash per signup, a fixture rebuild after each destructive success. */
const timeout = Math.max(60_000, runs * classesPerOperation * 3_000)

/**
 * Every integration configured (on addresses nothing listens on), so no answer is a 503 for a
 * missing setting; rate limits in Redis, where a 429 can reset them; a cheap Argon2, since fixtures
 * are signed up again whenever a request deletes one.
 */
const configured = {
  RATE_LIMIT_BACKEND: "redis",
  ARGON2_MEMORY_KIB: "1024",
  ARGON2_TIME_COST: "1",
  CLOUDINARY_CLOUD_NAME: "fuzz",
  CLOUDINARY_API_KEY: "fuzz-key",
  CLOUDINARY_API_SECRET: "fuzz-secret",
  GOOGLE_CLIENT_ID: "fuzz-google",
  GOOGLE_CLIENT_SECRET: "fuzz-google-secret",
  GOOGLE_TOKEN_URL: "http://127.0.0.1:1/token",
  GOOGLE_USERINFO_URL: "http://127.0.0.1:1/userinfo",
  GITHUB_CLIENT_ID: "fuzz-github",
  GITHUB_CLIENT_SECRET: "fuzz-github-secret",
  GITHUB_TOKEN_URL: "http://127.0.0.1:1/login/oauth/access_token",
  GITHUB_API_URL: "http://127.0.0.1:1"
}

// A Redis connection of the test's own, to reset the API's rate limits (same server and prefix).
const FuzzLayer = Layer.unwrap(
  Effect.map(makeFakeStripe({ prices: cataloguePrices }), (stripe) =>
    FuzzFixtures.layer.pipe(
      Layer.provideMerge(Redis.layer),
      // Stripe is a fake that has the fixture's subscription: no answer is a 502 for an unreachable Stripe.
      Layer.provideMerge(authTestLayer({ env: { ...configured, ...stripeEnv(stripe) } })),
      Layer.provideMerge(Layer.succeed(Stripe, stripe))
    ))
)

if (verbose) report(`seed ${seed}, ${runs} runs per class, ${apiOperations.length} operations`)

layer(FuzzLayer, { excludeTestServices: true, timeout })("fuzz: every operation of the OpenAPI document", (it) => {
  for (const operation of apiOperations) {
    it.effect(operation.id, () => exercise(operation), timeout)
  }
})
