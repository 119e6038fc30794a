import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Operators' adjustments of a period's credits, and the counts of refused validations by reason.
//
// `usage_quotas.adjustment` is credits an operator added (or, negative, took) for one period of
// one owner: the period's allowance is the plan's (which every reservation writes again, so a
// plan change applies at once) plus the adjustment, which no reservation touches. The recording
// function is the same as in 0010 but for that sum, and it answers the period's allowance, so
// the remaining credits a validation reports include the adjustment.
//
// `usage_denials` counts refused validations per UTC day, product and reason; each API process
// adds its counts in one statement per interval, so a flood of refusals costs no write each.
//
// The usage logs are append-only and ordered by time on disk: a BRIN index on `created_at` lets
// the operators' daily figures and time-windowed lists read a window without a btree on the hot
// insert path.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE usage_quotas ADD COLUMN adjustment numeric(12, 2) NOT NULL DEFAULT 0`
  yield* sql`DROP FUNCTION cuebx_record_usage(jsonb)`
  yield* sql.unsafe(`
    CREATE FUNCTION cuebx_record_usage(requests jsonb)
    RETURNS TABLE (
      ord int, outcome text, usage_id uuid, fingerprint text, access text, credits numeric,
      test_key boolean, quota_id uuid, granted numeric, used numeric, quota_allowance numeric
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
            prior.credits_reserved, prior.is_test_key, NULL::uuid, NULL::numeric, NULL::numeric, NULL::numeric;
          CONTINUE;
        END IF;

        quota_id := NULL;
        granted := NULL;
        used := NULL;
        quota_allowance := r.allowance;
        IF r.reserve THEN
          INSERT INTO usage_quotas AS q (product, owner_id, period_start, period_end, allowance, granted)
          SELECT r.product, r.owner_id, r.period_start, r.period_end, r.allowance, r.cost
          -- Beyond the plan's allowance only an adjustment can make room (looked up only then).
          WHERE r.cost <= r.allowance OR r.cost <= r.allowance + COALESCE((
            SELECT a.adjustment FROM usage_quotas a
            WHERE a.product = r.product AND a.owner_id = r.owner_id AND a.period_start = r.period_start
          ), 0)
          ON CONFLICT (product, owner_id, period_start) DO UPDATE
            SET granted = q.granted + EXCLUDED.granted, allowance = EXCLUDED.allowance
            WHERE q.granted + EXCLUDED.granted <= EXCLUDED.allowance + q.adjustment
          RETURNING q.id, q.granted, q.allowance + q.adjustment INTO quota_id, granted, quota_allowance;
          IF quota_id IS NULL THEN
            SELECT q.granted, r.allowance + q.adjustment INTO used, quota_allowance FROM usage_quotas q
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
            prior.credits_reserved, prior.is_test_key, NULL::uuid, NULL::numeric, NULL::numeric, NULL::numeric;
          CONTINUE;
        END IF;

        RETURN QUERY SELECT r.ord, CASE WHEN NOT r.reserve OR quota_id IS NOT NULL THEN 'granted' ELSE 'denied' END,
          r.id, r.fingerprint, NULL::text, r.cost, r.test_key, quota_id, granted, used, quota_allowance;
      END LOOP;
    END
    $body$`)

  yield* sql`
    CREATE TABLE usage_denials (
      day date NOT NULL,
      product varchar(6) NOT NULL CHECK (product IN ('API', 'CAREER')),
      reason varchar(64) NOT NULL,
      count bigint NOT NULL CHECK (count >= 0),
      PRIMARY KEY (day, product, reason)
    )`
  yield* sql`CREATE INDEX usage_logs_created_brin ON usage_logs USING brin (created_at)`
  yield* sql`CREATE INDEX career_usage_logs_created_brin ON career_usage_logs USING brin (created_at)`
})
