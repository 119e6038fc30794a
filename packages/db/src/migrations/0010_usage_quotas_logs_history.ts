import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Metered usage: one quota row per owner (workspace or Career user) and billing period, holding
// the period's allowance and what is granted of it (reserved by pending usage plus charged);
// the usage logs of both products; the Career analysis history. PostgreSQL is the only truth
// about credits: a validation reserves with one conditional upsert, a commit settles the
// reservation exactly once (the PENDING → terminal transition), expiry gives it back. The logs
// carry no foreign keys: they are the billing record, kept (not cascade-deleted) when a user or
// workspace goes, and a key-share lock per insert on the one hot workspace row would serialise
// validations. Statuses and feature keys are stored as the reference's upper-case names.
//
// `cuebx_record_usage` records a batch of validations in one transaction: every validation of an
// owner waits on its quota row's lock, so one lock and one WAL flush per batch (group commit)
// instead of per validation is what lets a busy workspace go faster than its disk flushes. Each
// request is still decided on its own, in order; a request id seen before (in an earlier batch,
// earlier in this one, or by a concurrent batch that won the unique index) is answered with the
// first row, and a reservation made for it is given back in the same transaction.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE usage_quotas (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      product varchar(6) NOT NULL CHECK (product IN ('API', 'CAREER')),
      owner_id uuid NOT NULL,
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL,
      allowance numeric(12, 2) NOT NULL CHECK (allowance >= 0),
      granted numeric(12, 2) NOT NULL DEFAULT 0 CHECK (granted >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_usage_quotas_period UNIQUE (product, owner_id, period_start),
      CONSTRAINT ck_usage_quotas_period CHECK (period_end > period_start)
    )`

  const logColumns = sql.literal(`
      feature_key varchar(64) NOT NULL,
      request_id varchar(255) NOT NULL,
      fingerprint_hash char(64) NOT NULL,
      access_status varchar(7) NOT NULL CHECK (access_status IN ('granted', 'denied')),
      status varchar(8) NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED', 'EXPIRED', 'DENIED')),
      endpoint text NOT NULL,
      method varchar(32) NOT NULL,
      client_ip varchar(255),
      client_user_agent text,
      usage_estimate jsonb,
      quota_id uuid,
      credits_reserved numeric(12, 2) NOT NULL CHECK (credits_reserved >= 0),
      credits_charged numeric(12, 2),
      committed_at timestamptz,
      model_used varchar(100),
      input_tokens int,
      output_tokens int,
      latency_ms int,
      failure_type varchar(32),
      failure_reason varchar(1000),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'SUCCESS') = (credits_charged IS NOT NULL)),
      CHECK ((status = 'DENIED') = (access_status = 'denied'))`)

  yield* sql`
    CREATE TABLE usage_logs (
      id uuid PRIMARY KEY,
      api_key_id uuid NOT NULL,
      workspace_id uuid NOT NULL,
      is_test_key boolean NOT NULL DEFAULT false,
      ${logColumns},
      CONSTRAINT uq_usage_logs_request UNIQUE (api_key_id, request_id)
    )`
  yield* sql`CREATE INDEX usage_logs_workspace ON usage_logs (workspace_id, created_at)`
  // What the expiry job scans: only the pending rows, so it stays small however long the history.
  yield* sql`CREATE INDEX usage_logs_pending ON usage_logs (created_at) WHERE status = 'PENDING'`

  yield* sql`
    CREATE TABLE career_usage_logs (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL,
      subscription_id uuid NOT NULL,
      ${logColumns},
      CONSTRAINT uq_career_usage_logs_request UNIQUE (user_id, request_id)
    )`
  yield* sql`CREATE INDEX career_usage_logs_subscription ON career_usage_logs (subscription_id, created_at)`
  yield* sql`CREATE INDEX career_usage_logs_pending ON career_usage_logs (created_at) WHERE status = 'PENDING'`

  yield* sql.unsafe(`
    CREATE FUNCTION cuebx_record_usage(requests jsonb)
    RETURNS TABLE (
      ord int, outcome text, usage_id uuid, fingerprint text, access text, credits numeric,
      test_key boolean, quota_id uuid, granted numeric, used numeric
    )
    LANGUAGE plpgsql AS $body$
    DECLARE
      r record;
      prior record;
      inserted uuid;
    BEGIN
      FOR r IN
        SELECT * FROM jsonb_to_recordset(requests) AS x(
          ord int, product text, id uuid, owner_id uuid, owner_key uuid, subscription_id uuid, test_key boolean,
          feature_key text, request_id text, fingerprint text, endpoint text, method text, client_ip text,
          client_user_agent text, usage_estimate jsonb, cost numeric, reserve boolean, period_start timestamptz,
          period_end timestamptz, allowance numeric, created_at timestamptz
        )
        -- One lock order for every batch (quota rows by owner), so concurrent batches never deadlock.
        ORDER BY product, owner_id, period_start, ord
      LOOP
        IF r.product = 'API' THEN
          SELECT u.id, u.fingerprint_hash, u.access_status, u.credits_reserved, u.is_test_key INTO prior
          FROM usage_logs u WHERE u.api_key_id = r.owner_key AND u.request_id = r.request_id;
        ELSE
          SELECT u.id, u.fingerprint_hash, u.access_status, u.credits_reserved, false AS is_test_key INTO prior
          FROM career_usage_logs u WHERE u.user_id = r.owner_key AND u.request_id = r.request_id;
        END IF;
        IF FOUND THEN
          RETURN QUERY SELECT r.ord, 'seen', prior.id, prior.fingerprint_hash::text, prior.access_status::text,
            prior.credits_reserved, prior.is_test_key, NULL::uuid, NULL::numeric, NULL::numeric;
          CONTINUE;
        END IF;

        quota_id := NULL;
        granted := NULL;
        used := NULL;
        IF r.reserve THEN
          INSERT INTO usage_quotas AS q (product, owner_id, period_start, period_end, allowance, granted)
          SELECT r.product, r.owner_id, r.period_start, r.period_end, r.allowance, r.cost WHERE r.cost <= r.allowance
          ON CONFLICT (product, owner_id, period_start) DO UPDATE
            SET granted = q.granted + EXCLUDED.granted, allowance = EXCLUDED.allowance
            WHERE q.granted + EXCLUDED.granted <= EXCLUDED.allowance
          RETURNING q.id, q.granted INTO quota_id, granted;
          IF quota_id IS NULL THEN
            SELECT q.granted INTO used FROM usage_quotas q
            WHERE q.product = r.product AND q.owner_id = r.owner_id AND q.period_start = r.period_start;
          END IF;
        END IF;

        IF r.product = 'API' THEN
          INSERT INTO usage_logs (
            id, api_key_id, workspace_id, is_test_key, feature_key, request_id, fingerprint_hash, access_status, status,
            endpoint, method, client_ip, client_user_agent, usage_estimate, quota_id, credits_reserved, created_at
          ) VALUES (
            r.id, r.owner_key, r.owner_id, r.test_key, r.feature_key, r.request_id, r.fingerprint,
            CASE WHEN NOT r.reserve OR quota_id IS NOT NULL THEN 'granted' ELSE 'denied' END,
            CASE WHEN NOT r.reserve OR quota_id IS NOT NULL THEN 'PENDING' ELSE 'DENIED' END,
            r.endpoint, r.method, r.client_ip, r.client_user_agent, r.usage_estimate, quota_id, r.cost, r.created_at
          ) ON CONFLICT (api_key_id, request_id) DO NOTHING RETURNING id INTO inserted;
        ELSE
          INSERT INTO career_usage_logs (
            id, user_id, subscription_id, feature_key, request_id, fingerprint_hash, access_status, status,
            endpoint, method, client_ip, client_user_agent, usage_estimate, quota_id, credits_reserved, created_at
          ) VALUES (
            r.id, r.owner_key, r.subscription_id, r.feature_key, r.request_id, r.fingerprint,
            CASE WHEN NOT r.reserve OR quota_id IS NOT NULL THEN 'granted' ELSE 'denied' END,
            CASE WHEN NOT r.reserve OR quota_id IS NOT NULL THEN 'PENDING' ELSE 'DENIED' END,
            r.endpoint, r.method, r.client_ip, r.client_user_agent, r.usage_estimate, quota_id, r.cost, r.created_at
          ) ON CONFLICT (user_id, request_id) DO NOTHING RETURNING id INTO inserted;
        END IF;

        IF inserted IS NULL THEN
          -- A concurrent batch recorded this request first: give back this reservation, answer with its row.
          IF quota_id IS NOT NULL THEN
            UPDATE usage_quotas q SET granted = q.granted - r.cost WHERE q.id = quota_id;
          END IF;
          IF r.product = 'API' THEN
            SELECT u.id, u.fingerprint_hash, u.access_status, u.credits_reserved, u.is_test_key INTO prior
            FROM usage_logs u WHERE u.api_key_id = r.owner_key AND u.request_id = r.request_id;
          ELSE
            SELECT u.id, u.fingerprint_hash, u.access_status, u.credits_reserved, false AS is_test_key INTO prior
            FROM career_usage_logs u WHERE u.user_id = r.owner_key AND u.request_id = r.request_id;
          END IF;
          RETURN QUERY SELECT r.ord, 'seen', prior.id, prior.fingerprint_hash::text, prior.access_status::text,
            prior.credits_reserved, prior.is_test_key, NULL::uuid, NULL::numeric, NULL::numeric;
          CONTINUE;
        END IF;

        RETURN QUERY SELECT r.ord, CASE WHEN NOT r.reserve OR quota_id IS NOT NULL THEN 'granted' ELSE 'denied' END,
          r.id, r.fingerprint, NULL::text, r.cost, r.test_key, quota_id, granted, used;
      END LOOP;
    END
    $body$`)

  // The user's own results: deleted with the account, paged newest first by (created_at, id).
  yield* sql`
    CREATE TABLE career_analysis_results (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      usage_log_id uuid NOT NULL UNIQUE REFERENCES career_usage_logs (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      feature_key varchar(64) NOT NULL,
      title varchar(255),
      result_data jsonb NOT NULL,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`
    CREATE INDEX career_analysis_results_user ON career_analysis_results (user_id, created_at DESC, id DESC)
    WHERE NOT is_deleted`
  yield* sql`
    CREATE INDEX career_analysis_results_user_feature
    ON career_analysis_results (user_id, feature_key, created_at DESC, id DESC) WHERE NOT is_deleted`
  // The purge's cascade reaches deleted results too.
  yield* sql`CREATE INDEX career_analysis_results_user_all ON career_analysis_results (user_id)`
})
