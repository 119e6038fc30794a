/**
 * The OpenAPI document that client generators and gateways read, linted by the two tools API
 * teams use: Spectral (`spectral:oas`) with no error and no warning, Redocly (`recommended`) with
 * no error and no warning. Both run from the root dev dependencies, offline.
 */
import { CuebxApi } from "@cuebx/contract"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { OpenApi } from "effect/http-api"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"

const require = createRequire(import.meta.url)

/** The script of a package's binary, run with this Node: no shell, no PATH lookup. */
const binary = (packageName: string, name: string) => {
  const manifest = require.resolve(`${packageName}/package.json`)
  const bins = (JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> }).bin
  return join(dirname(manifest), bins[name]!)
}

/** Writes the document and the linters' configuration to a fresh directory, runs `f`, removes it. */
const withDocument = <A>(f: (directory: string) => A) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const directory = mkdtempSync(join(tmpdir(), "cuebx-openapi-"))
      writeFileSync(join(directory, "openapi.json"), JSON.stringify(OpenApi.fromApi(CuebxApi), null, 2))
      writeFileSync(join(directory, ".spectral.json"), JSON.stringify({ extends: ["spectral:oas"] }))
      writeFileSync(
        join(directory, "redocly.yaml"),
        [
          "extends:",
          "  - recommended",
          "rules:",
          "  # CueBX publishes its API under no license.",
          "  info-license: off",
          "  # The one server is API_DOMAIN's default, a local deployment, as in the reference's document.",
          "  no-server-example.com: off"
        ].join("\n")
      )
      return directory
    }),
    (directory) => Effect.sync(() => f(directory)),
    (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
  )

const run = (script: string, args: ReadonlyArray<string>, cwd: string) => {
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
    // No telemetry, no update check: the test runs offline.
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" }
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

interface SpectralResult {
  readonly code: string
  readonly message: string
  readonly severity: number
  readonly path: ReadonlyArray<string | number>
}

interface RedoclyProblem {
  readonly ruleId: string
  readonly severity: string
  readonly message: string
  readonly location: ReadonlyArray<{ readonly pointer: string }>
}

describe("the OpenAPI document", () => {
  it.effect("lints clean with Spectral's spectral:oas ruleset, warnings included", () =>
    withDocument((directory) => {
      const result = run(
        binary("@stoplight/spectral-cli", "spectral"),
        ["lint", "openapi.json", "--ruleset", ".spectral.json", "--format", "json", "--quiet"],
        directory
      )
      const findings = JSON.parse(result.stdout) as ReadonlyArray<SpectralResult>
      const described = findings.map((finding) =>
        `${["error", "warning", "info", "hint"][finding.severity]} ${finding.code} at ${
          finding.path.join(".")
        }: ${finding.message}`
      )
      assert.deepStrictEqual(described, [], result.stderr)
      assert.strictEqual(result.status, 0, result.stderr)
    }), 60_000)

  it.effect("lints clean with Redocly's recommended ruleset, warnings included", () =>
    withDocument((directory) => {
      const result = run(
        binary("@redocly/cli", "redocly"),
        ["lint", "openapi.json", "--config", "redocly.yaml", "--format", "json"],
        directory
      )
      const { problems } = JSON.parse(result.stdout) as { problems: ReadonlyArray<RedoclyProblem> }
      const described = problems.map((problem) =>
        `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`
      )
      assert.deepStrictEqual(described, [], result.stderr)
      assert.strictEqual(result.status, 0, result.stderr)
    }), 60_000)
})
