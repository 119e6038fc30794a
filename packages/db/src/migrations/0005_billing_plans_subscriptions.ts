import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// The plan catalogue (plans, their credit and rate-limit rules, the credit cost of each feature)
// and subscriptions of both products. Enum columns hold the reference's upper-case names, so its
// data migrates as is. A subscription row is a billing record: it outlives its workspace or user.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE plans (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name varchar(128) NOT NULL,
      description text,
      price numeric(10, 2) NOT NULL DEFAULT 0 CHECK (price >= 0),
      display_price varchar(64),
      rank int NOT NULL CHECK (rank >= 0),
      stripe_price_id varchar(128),
      seat_price numeric(10, 2) NOT NULL DEFAULT 0 CHECK (seat_price >= 0),
      seat_display_price varchar(64),
      seat_stripe_price_id varchar(128),
      is_active boolean NOT NULL DEFAULT true,
      trial_days int CHECK (trial_days IS NULL OR trial_days >= 0),
      type varchar(4) NOT NULL CHECK (type IN ('FREE', 'PAID')),
      product_type varchar(6) NOT NULL CHECK (product_type IN ('API', 'CAREER')),
      features jsonb NOT NULL DEFAULT '[]',
      max_seats int,
      min_seats int NOT NULL DEFAULT 1 CHECK (min_seats >= 1),
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_plans_name_product_type UNIQUE (name, product_type),
      CONSTRAINT uq_plans_rank_product_type UNIQUE (rank, product_type),
      CONSTRAINT ck_plans_seat_bounds CHECK (max_seats IS NULL OR max_seats >= min_seats),
      CONSTRAINT ck_plans_free_is_free CHECK (
        type = 'PAID' OR (price = 0 AND seat_price = 0 AND stripe_price_id IS NULL AND seat_stripe_price_id IS NULL)
      ),
      CONSTRAINT ck_plans_paid_has_price CHECK (
        type = 'FREE' OR stripe_price_id IS NOT NULL OR seat_stripe_price_id IS NOT NULL
      )
    )`
  yield* sql`CREATE INDEX plans_listing ON plans (product_type, rank) WHERE is_active AND NOT is_deleted`
  yield* sql`CREATE INDEX plans_stripe_price ON plans (stripe_price_id)`
  yield* sql`CREATE INDEX plans_seat_stripe_price ON plans (seat_stripe_price_id)`
  yield* sql`CREATE TRIGGER plans_touch BEFORE UPDATE ON plans FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  // NULL rate limits mean unlimited.
  yield* sql`
    CREATE TABLE plan_pricing_rules (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      plan_id uuid NOT NULL UNIQUE REFERENCES plans (id) ON DELETE CASCADE,
      multiplier numeric(8, 2) NOT NULL DEFAULT 1 CHECK (multiplier >= 0),
      credits_allocation numeric(12, 2) NOT NULL CHECK (credits_allocation >= 0),
      rate_limit_per_minute int CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
      rate_limit_per_day int CHECK (rate_limit_per_day IS NULL OR rate_limit_per_day > 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE TRIGGER plan_pricing_rules_touch BEFORE UPDATE ON plan_pricing_rules FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE feature_cost_configs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      feature_key varchar(64) NOT NULL UNIQUE,
      product_type varchar(6) NOT NULL CHECK (product_type IN ('API', 'CAREER')),
      internal_cost_credits numeric(12, 2) NOT NULL CHECK (internal_cost_credits >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE TRIGGER feature_cost_configs_touch BEFORE UPDATE ON feature_cost_configs FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE subscriptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      plan_id uuid NOT NULL REFERENCES plans (id) ON DELETE RESTRICT,
      product_type varchar(6) NOT NULL CHECK (product_type IN ('API', 'CAREER')),
      stripe_subscription_id varchar(128) UNIQUE,
      stripe_customer_id varchar(128),
      status varchar(18) NOT NULL DEFAULT 'ACTIVE' CHECK (status IN (
        'ACTIVE', 'PAST_DUE', 'CANCELED', 'INCOMPLETE', 'INCOMPLETE_EXPIRED', 'TRIALING', 'UNPAID', 'PAUSED'
      )),
      seat_count int NOT NULL DEFAULT 1 CHECK (seat_count >= 1),
      current_period_start timestamptz,
      current_period_end timestamptz,
      cancel_at_period_end boolean NOT NULL DEFAULT false,
      canceled_at timestamptz,
      trial_start timestamptz,
      trial_end timestamptz,
      amount numeric(10, 2),
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX subscriptions_plan ON subscriptions (plan_id)`
  yield* sql`CREATE INDEX subscriptions_product_status ON subscriptions (product_type, status)`
  yield* sql`CREATE INDEX subscriptions_stripe_customer ON subscriptions (stripe_customer_id)`
  yield* sql`CREATE TRIGGER subscriptions_touch BEFORE UPDATE ON subscriptions FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  // One per user: the user's current Career subscription and the credits used on it.
  yield* sql`
    CREATE TABLE career_subscription_contexts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      subscription_id uuid NOT NULL UNIQUE REFERENCES subscriptions (id) ON DELETE CASCADE,
      user_id uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
      credits_used numeric(12, 2) NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE TRIGGER career_subscription_contexts_touch BEFORE UPDATE ON career_subscription_contexts FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`
})
