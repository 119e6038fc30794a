/**
 * Usage's one read of a workspace: its status, for the validation of its API keys (keys and
 * subscriptions are read through their own domains' services).
 */
import { WorkspaceStatusColumn } from "@cuebx/workspaces"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

export class AccountsRepo extends Context.Service<AccountsRepo, {
  /** `None` when the workspace does not exist or is deleted. */
  workspaceStatus(workspaceId: string): Effect.Effect<Option.Option<typeof WorkspaceStatusColumn.Type>>
}>()("@cuebx/usage/AccountsRepo") {
  static readonly layer = Layer.effect(
    AccountsRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const statusOf = SqlSchema.findOneOption({
        Request: Schema.String,
        Result: Schema.Struct({ status: WorkspaceStatusColumn }),
        execute: (id) => sql`SELECT status FROM workspaces WHERE id = ${id} AND NOT is_deleted`
      })
      return AccountsRepo.of({
        workspaceStatus: Effect.fn("AccountsRepo.workspaceStatus")(function*(workspaceId) {
          return Option.map(yield* statusOf(workspaceId), (row) => row.status)
        }, Effect.orDie)
      })
    })
  )
}
