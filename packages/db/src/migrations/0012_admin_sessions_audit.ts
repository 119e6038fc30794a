import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// The admin panel: operators' sessions (a random token stored as its SHA-256, revocable, with an
// expiry) and the audit log of every operator action, with the state before and after.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE admin_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash varchar(64) NOT NULL UNIQUE,
      username varchar(255) NOT NULL,
      client_ip varchar(64),
      user_agent varchar(512),
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    )`
  yield* sql`CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at)`
  yield* sql`
    CREATE TABLE admin_audit_log (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      at timestamptz NOT NULL,
      actor varchar(255) NOT NULL,
      action varchar(64) NOT NULL,
      target_type varchar(64) NOT NULL,
      target_id varchar(255) NOT NULL,
      reason text,
      before jsonb,
      after jsonb,
      client_ip varchar(64)
    )`
  yield* sql`CREATE INDEX admin_audit_log_at ON admin_audit_log (at DESC, id)`
  yield* sql`CREATE INDEX admin_audit_log_target ON admin_audit_log (target_type, target_id)`
})
