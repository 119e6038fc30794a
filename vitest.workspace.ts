// The test projects: one per package and app that has tests. Vitest 4+ no longer reads this file
// by itself; vitest.config.ts imports it.
const project = (path: string) => ({
  test: {
    name: path,
    root: path,
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})

export default [
  "packages/admin",
  "packages/config",
  "packages/contract",
  "packages/db",
  "packages/redis",
  "packages/broker",
  "packages/email",
  "packages/background",
  "packages/ratelimit",
  "packages/auth",
  "packages/billing",
  "packages/workspaces",
  "packages/usage",
  "packages/jobs",
  "packages/observability",
  "packages/testing",
  "packages/toolchain",
  "apps/api",
  "apps/worker",
  "apps/scheduler",
  "apps/cli"
].map(project)
