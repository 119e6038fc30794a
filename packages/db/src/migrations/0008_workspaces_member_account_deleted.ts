import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Workspaces stop reading `users` to hide the memberships of deleted accounts: auth's deletion
// seam flags them here, in the deletion's transaction. Memberships of accounts deleted before
// this migration are flagged now. Counting and listing members filter on the flag.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE workspace_members ADD COLUMN account_deleted boolean NOT NULL DEFAULT false`
  yield* sql`
    UPDATE workspace_members m SET account_deleted = true
    FROM users u WHERE u.id = m.user_id AND u.is_deleted`
})
