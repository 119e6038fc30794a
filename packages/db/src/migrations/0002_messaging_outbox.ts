import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Messaging: the transactional outbox, the record of handled messages (idempotent consumers)
// and the dead letters kept for inspection and replay.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE outbox_messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      queue varchar(255) NOT NULL,
      message_id uuid NOT NULL UNIQUE,
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      attempts int NOT NULL DEFAULT 0,
      last_error text,
      available_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX outbox_messages_pending ON outbox_messages (available_at, created_at) WHERE published_at IS NULL`
  yield* sql`CREATE INDEX outbox_messages_published ON outbox_messages (published_at) WHERE published_at IS NOT NULL`
  yield* sql`CREATE TRIGGER outbox_messages_touch BEFORE UPDATE ON outbox_messages FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`

  yield* sql`
    CREATE TABLE processed_messages (
      queue varchar(255) NOT NULL,
      message_id varchar(255) NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (queue, message_id)
    )`
  yield* sql`CREATE INDEX processed_messages_processed_at ON processed_messages (processed_at)`

  yield* sql`
    CREATE TABLE dlq_messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      queue_name varchar(255) NOT NULL,
      original_queue varchar(255) NOT NULL,
      message_id varchar(255),
      message_body text NOT NULL,
      headers jsonb,
      error_message text,
      attempt_count int NOT NULL DEFAULT 0,
      status varchar(16) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RETRIED', 'DISCARDED')),
      alerted_at timestamptz,
      retried_at timestamptz,
      discarded_at timestamptz,
      is_deleted boolean NOT NULL DEFAULT false,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX dlq_messages_queue_name ON dlq_messages (queue_name)`
  yield* sql`CREATE INDEX dlq_messages_status ON dlq_messages (status)`
  yield* sql`CREATE INDEX dlq_messages_queue_status ON dlq_messages (queue_name, status)`
  yield* sql`CREATE UNIQUE INDEX dlq_messages_queue_message ON dlq_messages (queue_name, message_id) WHERE message_id IS NOT NULL`
  yield* sql`CREATE TRIGGER dlq_messages_touch BEFORE UPDATE ON dlq_messages FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`
})
