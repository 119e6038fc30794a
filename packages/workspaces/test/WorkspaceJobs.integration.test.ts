import { DatabaseLive } from "@cuebx/db"
import { TestInfra } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { InvitationsRepo } from "../src/InvitationsRepo.ts"
import { expireInvitationsJob } from "../src/WorkspaceJobs.ts"

layer(InvitationsRepo.layer.pipe(Layer.provideMerge(DatabaseLive), Layer.provideMerge(TestInfra.layer())), {
  excludeTestServices: true
})("workspace jobs", (it) => {
  it.effect("expire-invitations marks pending invitations past their expiry, and only those", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const [owner] = yield* sql<{ readonly id: string }>`
        INSERT INTO users (email) VALUES ('owner@example.com') RETURNING id`
      const [workspace] = yield* sql<{ readonly id: string }>`
        INSERT INTO workspaces (display_name, slug, owner_id) VALUES ('Jobs', 'ws-jobs', ${owner!.id}) RETURNING id`
      const invite = (email: string, status: string, expiresAt: string) =>
        sql`
          INSERT INTO workspace_invitations (workspace_id, email, role, token_hash, status, expires_at)
          VALUES (${workspace!.id}, ${email}, 'MEMBER', ${email}, ${status}, now() + ${expiresAt}::interval)`
      yield* invite("late@example.com", "PENDING", "-1 minute")
      yield* invite("waiting@example.com", "PENDING", "1 day")
      yield* invite("accepted@example.com", "ACCEPTED", "-1 day")
      yield* invite("revoked@example.com", "REVOKED", "-1 day")

      yield* expireInvitationsJob.run
      const rows = yield* sql<{ readonly email: string; readonly status: string }>`
        SELECT email, status FROM workspace_invitations ORDER BY email`
      assert.deepStrictEqual(rows.map((row) => [row.email, row.status]), [
        ["accepted@example.com", "ACCEPTED"],
        ["late@example.com", "EXPIRED"],
        ["revoked@example.com", "REVOKED"],
        ["waiting@example.com", "PENDING"]
      ])
    }))
})
