/**
 * The image installs dependencies from the package manifests alone (for layer caching), so
 * every workspace package must be copied into the deps stage: a new package forgotten there
 * builds an image that fails at start-up.
 */
import { assert, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))

it("the Dockerfile copies the manifest of every workspace package", () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, "utf8")
  const manifests = ["packages", "apps"].flatMap((folder) =>
    readdirSync(`${root}${folder}`, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${folder}/${entry.name}/package.json`)
  )
  for (const manifest of manifests) {
    assert.include(dockerfile, `COPY ${manifest} ${manifest.replace(/package\.json$/, "")}`, manifest)
  }
})
