import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Billing with Stripe: one Stripe customer per billing owner (a user for Career, a workspace for
// the API), every webhook event recorded once (the unique event id is the deduplication), the
// payments history (one row per provider invoice), the Stripe product and price settings of
// plans, who each subscription is for, the timestamp of the last event applied to it (older
// events are skipped), and which disabled members billing suspended (so a new subscription
// restores them, and only them).
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE stripe_customers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      owner_type varchar(9) NOT NULL CHECK (owner_type IN ('USER', 'WORKSPACE')),
      owner_id uuid NOT NULL,
      stripe_customer_id varchar(128) NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_stripe_customers_owner UNIQUE (owner_type, owner_id)
    )`
  yield* sql`CREATE TRIGGER stripe_customers_touch BEFORE UPDATE ON stripe_customers FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE stripe_event_logs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id varchar(128) NOT NULL UNIQUE,
      event_type varchar(128) NOT NULL,
      stripe_created_at timestamptz NOT NULL,
      payload jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      outcome varchar(32)
    )`
  yield* sql`CREATE INDEX stripe_event_logs_type ON stripe_event_logs (event_type, received_at)`

  // Who a subscription is for (the workspace for the API, the user for Career), also once it is
  // no longer the current one; rows of before this migration take it from their context.
  yield* sql`ALTER TABLE subscriptions ADD COLUMN owner_id uuid`
  yield* sql`
    UPDATE subscriptions s SET owner_id = c.workspace_id
    FROM api_subscription_contexts c WHERE c.subscription_id = s.id`
  yield* sql`
    UPDATE subscriptions s SET owner_id = c.user_id
    FROM career_subscription_contexts c WHERE c.subscription_id = s.id`
  yield* sql`CREATE INDEX subscriptions_owner ON subscriptions (product_type, owner_id)`
  yield* sql`ALTER TABLE subscriptions ADD COLUMN stripe_event_created_at timestamptz`
  yield* sql`
    CREATE INDEX subscriptions_period_end ON subscriptions (current_period_end)
    WHERE status IN ('ACTIVE', 'TRIALING', 'PAST_DUE', 'UNPAID')`

  yield* sql`
    CREATE TABLE payments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      subscription_id uuid REFERENCES subscriptions (id) ON DELETE SET NULL,
      product_type varchar(6) NOT NULL CHECK (product_type IN ('API', 'CAREER')),
      owner_id uuid NOT NULL,
      provider varchar(8) NOT NULL DEFAULT 'STRIPE' CHECK (provider IN ('STRIPE', 'PAYMOB', 'MANUAL')),
      provider_invoice_id varchar(128) NOT NULL,
      amount numeric(12, 2) NOT NULL,
      currency varchar(3) NOT NULL,
      status varchar(9) NOT NULL CHECK (status IN ('SUCCEEDED', 'REFUNDED')),
      billing_reason varchar(64),
      period_start timestamptz,
      period_end timestamptz,
      hosted_invoice_url text,
      paid_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_payments_provider_invoice UNIQUE (provider, provider_invoice_id)
    )`
  yield* sql`CREATE INDEX payments_owner ON payments (product_type, owner_id, paid_at DESC, id)`
  yield* sql`CREATE INDEX payments_subscription ON payments (subscription_id)`
  yield* sql`CREATE TRIGGER payments_touch BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`ALTER TABLE plans ADD COLUMN stripe_product_id varchar(128)`
  yield* sql`ALTER TABLE plans ADD COLUMN currency varchar(3) NOT NULL DEFAULT 'usd'`
  yield* sql`
    ALTER TABLE plans ADD COLUMN billing_period varchar(5) NOT NULL DEFAULT 'MONTH'
      CHECK (billing_period IN ('MONTH', 'YEAR'))`

  yield* sql`ALTER TABLE workspace_members ADD COLUMN suspended_by_billing boolean NOT NULL DEFAULT false`
})
