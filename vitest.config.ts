import { defineConfig } from "vitest/config"
import type { Reporter, TestModule } from "vitest/node"
import projects from "./vitest.workspace.ts"

/** Fails the run when no test was collected, so a broken project list cannot pass silently. */
class FailWhenEmpty implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const collected = testModules.reduce((total, module) => total + [...module.children.allTests()].length, 0)
    if (collected === 0) {
      console.error("No tests were collected: failing the run.")
      process.exitCode = 1
    }
  }
}

export default defineConfig({
  test: {
    projects,
    reporters: ["default", new FailWhenEmpty()],
    // Application logs only for failing tests: a green run is the per-file lines and the totals.
    silent: "passed-only"
  }
})
