import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Users and what authenticates them: OAuth links, one-time codes, sessions and their rotating
// refresh tokens. Emails are stored lowercased and are unique among live (not deleted) users,
// so a deleted account's email is free again.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email varchar(255) NOT NULL,
      email_verified boolean NOT NULL DEFAULT false,
      full_name varchar(255),
      avatar_url varchar(512),
      password_hash varchar(255),
      is_active boolean NOT NULL DEFAULT true,
      stripe_customer_id varchar(128) UNIQUE,
      provisioned_at timestamptz,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE UNIQUE INDEX users_email_live ON users (email) WHERE NOT is_deleted`
  yield* sql`CREATE INDEX users_deleted_at ON users (deleted_at) WHERE is_deleted`
  yield* sql`CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE oauth_accounts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      provider varchar(6) NOT NULL CHECK (provider IN ('GOOGLE', 'GITHUB')),
      provider_account_id varchar(255) NOT NULL,
      email varchar(255),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (provider, provider_account_id)
    )`
  yield* sql`CREATE INDEX oauth_accounts_user ON oauth_accounts (user_id)`
  yield* sql`CREATE TRIGGER oauth_accounts_touch BEFORE UPDATE ON oauth_accounts FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE otp_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid REFERENCES users (id) ON DELETE CASCADE,
      email varchar(255) NOT NULL,
      code_hash varchar(64) NOT NULL,
      purpose varchar(18) NOT NULL CHECK (purpose IN ('EMAIL_VERIFICATION', 'PASSWORD_RESET', 'SIGN_IN')),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      attempts int NOT NULL DEFAULT 0,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX otp_tokens_active ON otp_tokens (email, purpose, created_at DESC) WHERE used_at IS NULL AND NOT is_deleted`
  yield* sql`CREATE INDEX otp_tokens_user ON otp_tokens (user_id)`
  yield* sql`CREATE TRIGGER otp_tokens_touch BEFORE UPDATE ON otp_tokens FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  // A session is one sign-in on one device; its refresh tokens rotate within it.
  yield* sql`
    CREATE TABLE user_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      device_info text,
      ip_address varchar(64),
      expires_at timestamptz NOT NULL,
      last_used_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      revoke_reason varchar(32),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX user_sessions_user ON user_sessions (user_id) WHERE revoked_at IS NULL`
  yield* sql`CREATE TRIGGER user_sessions_touch BEFORE UPDATE ON user_sessions FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      session_id uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
      token_hash varchar(64) NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      rotated_at timestamptz,
      replaced_by_id uuid,
      replacement_sealed text,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)`
  yield* sql`CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at)`
  yield* sql`CREATE TRIGGER refresh_tokens_touch BEFORE UPDATE ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`
})
