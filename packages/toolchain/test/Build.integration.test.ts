/**
 * The bundled programs `npm start` and the Docker image run: they build, and a bundled program
 * works on its own (its migrations, its catalogue and its OpenAPI document inside the bundle).
 */
import { repositoryRoot } from "@cuebx/testing"
import { assert, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { buildPrograms, bundledPrograms, distDirectory } from "../src/build.ts"

it("bundles every program into one module each, and a bundled program runs", { timeout: 60_000 }, async () => {
  await buildPrograms()
  for (const name of Object.keys(bundledPrograms)) assert.isTrue(existsSync(join(distDirectory, `${name}.js`)), name)
  const document = JSON.parse(
    execFileSync(process.execPath, [join(distDirectory, "cli.js"), "openapi"], {
      cwd: repositoryRoot,
      env: { ...process.env, LOG_LEVEL: "error" },
      encoding: "utf8"
    })
  ) as { openapi: string; paths: Record<string, unknown> }
  assert.strictEqual(document.openapi, "3.1.0")
  assert.property(document.paths, "/auth/signin")
  assert.property(document.paths, "/api/internal/usage/validate")
})
