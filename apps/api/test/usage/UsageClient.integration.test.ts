/**
 * `@cuebx/usage-client` as an internal service runs it: in its own process, against the real API,
 * configured only through its environment. `metered` commits the work's outcome whatever it is:
 * success with its metrics, failure with its reason, interruption.
 */
import { spawnProgram } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { HttpServer } from "effect/http"
import { SqlClient } from "effect/sql"
import { authTestLayer } from "../auth/support.ts"
import { apiKeyFixture, grantedOf, internalKey } from "./support.ts"

layer(authTestLayer(), { excludeTestServices: true })("the usage client from a separate process", (it) => {
  it.effect("meters success, failure and interruption, and refuses with typed errors", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const fixture = yield* apiKeyFixture()
      const address = (yield* HttpServer.HttpServer).address as { readonly port: number }
      const requestIds = [0, 1, 2].map(() => `client-${crypto.randomUUID()}`)
      const program = yield* spawnProgram(
        "packages/usage-client/test/fixtures/MeteredProgram.ts",
        {
          CUEBX_API_URL: `http://127.0.0.1:${address.port}`,
          INTERNAL_API_SECRET: yield* internalKey
        },
        [fixture.liveKey, fixture.clientId, ...requestIds]
      )
      const code = yield* program.exited
      const output = program.output()
      assert.strictEqual(code, 0, output.join("\n"))
      const line = output.find((text) => text.startsWith("{\"succeeded\""))
      assert.deepStrictEqual(JSON.parse(line ?? "null"), {
        succeeded: "summary",
        failed: "the model timed out",
        interrupted: "TimeoutError",
        refused: "UsageApiKeyRejected"
      })
      const rows = yield* sql<{
        readonly requestId: string
        readonly status: string
        readonly modelUsed: string | null
        readonly failureType: string | null
        readonly failureReason: string | null
      }>`
        SELECT request_id, status, model_used, failure_type, failure_reason FROM usage_logs
        WHERE request_id IN ${sql.in(requestIds)}`
      const byId = new Map(rows.map((row) => [row.requestId, row]))
      assert.deepInclude(byId.get(requestIds[0]!), { status: "SUCCESS", modelUsed: "gpt-4o-mini" })
      assert.deepInclude(byId.get(requestIds[1]!), { status: "FAILED", failureType: "internal_error" })
      assert.include(byId.get(requestIds[1]!)?.failureReason ?? "", "the model timed out")
      assert.deepInclude(byId.get(requestIds[2]!), {
        status: "FAILED",
        failureType: "client_error",
        failureReason: "interrupted"
      })
      assert.strictEqual(yield* grantedOf(fixture.workspaceId), "1.00", "only the success is charged")
    }), 60_000)
})
