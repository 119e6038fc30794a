import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Queues without RabbitMQ (the embedded mode): each message is a row until a consumer has
// handled it. `available_at` is when it is due: after a retry delay, or, while a consumer holds
// it, the end of that consumer's lease. `sequence` keeps the order of publishing among due rows.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE queue_messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      sequence bigint GENERATED ALWAYS AS IDENTITY,
      queue varchar(255) NOT NULL,
      message_id varchar(255),
      body bytea NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      deliveries int NOT NULL DEFAULT 0,
      available_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX queue_messages_due ON queue_messages (queue, available_at, sequence)`
})
