import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Indexes for what the code filters on and for the foreign keys a user purge follows: without
// them, deleting a user (ON DELETE CASCADE / SET NULL) and the nightly cleanup jobs scan whole
// tables.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Revoking every session of a user, and the purge's cascade, look refresh tokens up by user.
  yield* sql`CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)`
  // The purge's cascade needs every session of a user, revoked ones included.
  yield* sql`DROP INDEX user_sessions_user`
  yield* sql`CREATE INDEX user_sessions_user ON user_sessions (user_id)`
  yield* sql`CREATE INDEX api_keys_created_by ON api_keys (created_by_id)`
  yield* sql`CREATE INDEX workspace_invitations_inviter ON workspace_invitations (inviter_id)`
  yield* sql`CREATE INDEX workspace_invitations_accepted_by ON workspace_invitations (accepted_by_id)`
  // What the cleanup jobs delete or clear.
  yield* sql`CREATE INDEX user_sessions_expires ON user_sessions (expires_at)`
  yield* sql`CREATE INDEX otp_tokens_expires ON otp_tokens (expires_at)`
  yield* sql`CREATE INDEX refresh_tokens_sealed_rotation ON refresh_tokens (rotated_at) WHERE replacement_sealed IS NOT NULL`
})
