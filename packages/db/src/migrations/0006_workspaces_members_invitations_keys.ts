import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Workspaces with their members, invitations, API keys and API subscription context, and the
// sales inquiries. The database holds the invariants the handlers rely on under concurrency:
// one personal workspace per user, exactly one owner per workspace, one pending invitation per
// email and workspace, unique API key hashes.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE workspaces (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      display_name varchar(128) NOT NULL,
      slug varchar(128) NOT NULL UNIQUE,
      owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      status varchar(9) NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'FROZEN', 'SUSPENDED')),
      is_personal boolean NOT NULL DEFAULT false,
      description text,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX workspaces_owner ON workspaces (owner_id, is_personal)`
  yield* sql`CREATE UNIQUE INDEX workspaces_one_personal ON workspaces (owner_id) WHERE is_personal AND NOT is_deleted`
  yield* sql`CREATE TRIGGER workspaces_touch BEFORE UPDATE ON workspaces FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE workspace_members (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      role varchar(6) NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
      status varchar(8) NOT NULL DEFAULT 'ENABLED' CHECK (status IN ('ENABLED', 'DISABLED')),
      joined_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, user_id),
      CONSTRAINT ck_workspace_members_owner_enabled CHECK (role <> 'OWNER' OR status = 'ENABLED')
    )`
  yield* sql`CREATE UNIQUE INDEX workspace_members_one_owner ON workspace_members (workspace_id) WHERE role = 'OWNER'`
  yield* sql`CREATE INDEX workspace_members_user ON workspace_members (user_id, status)`
  yield* sql`CREATE INDEX workspace_members_workspace ON workspace_members (workspace_id, status)`
  yield* sql`CREATE TRIGGER workspace_members_touch BEFORE UPDATE ON workspace_members FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE workspace_invitations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
      inviter_id uuid REFERENCES users (id) ON DELETE SET NULL,
      email varchar(255) NOT NULL,
      role varchar(6) NOT NULL CHECK (role IN ('ADMIN', 'MEMBER')),
      token_hash varchar(64) NOT NULL UNIQUE,
      status varchar(8) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACCEPTED', 'EXPIRED', 'REVOKED')),
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      accepted_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE UNIQUE INDEX workspace_invitations_one_pending ON workspace_invitations (workspace_id, email) WHERE status = 'PENDING'`
  yield* sql`CREATE INDEX workspace_invitations_workspace ON workspace_invitations (workspace_id, created_at)`
  yield* sql`CREATE INDEX workspace_invitations_pending_expiry ON workspace_invitations (expires_at) WHERE status = 'PENDING'`
  yield* sql`CREATE TRIGGER workspace_invitations_touch BEFORE UPDATE ON workspace_invitations FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  // key_hash is HMAC-SHA256(raw key, OTP_HMAC_SECRET) as the reference stored it, so its keys keep working.
  yield* sql`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
      created_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
      name varchar(128) NOT NULL,
      key_hash varchar(64) NOT NULL UNIQUE,
      key_prefix varchar(20) NOT NULL,
      expires_at timestamptz,
      revoked_at timestamptz,
      is_active boolean NOT NULL DEFAULT true,
      is_test_key boolean NOT NULL DEFAULT false,
      last_used_at timestamptz,
      scopes jsonb,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at)`
  yield* sql`CREATE TRIGGER api_keys_touch BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  // One per workspace: its current API subscription and the credits used on it.
  yield* sql`
    CREATE TABLE api_subscription_contexts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      subscription_id uuid NOT NULL UNIQUE REFERENCES subscriptions (id) ON DELETE CASCADE,
      workspace_id uuid NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE,
      credits_used numeric(12, 2) NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE TRIGGER api_subscription_contexts_touch BEFORE UPDATE ON api_subscription_contexts FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE sales_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      first_name varchar(255) NOT NULL,
      last_name varchar(255) NOT NULL,
      email varchar(255) NOT NULL,
      message text,
      status varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'contacted', 'closed')),
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX sales_requests_email ON sales_requests (email)`
  yield* sql`CREATE TRIGGER sales_requests_touch BEFORE UPDATE ON sales_requests FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`
})
