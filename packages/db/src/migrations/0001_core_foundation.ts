import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Shared by every table: `updated_at` follows each UPDATE without the application setting it.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE FUNCTION cuebx_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END
    $$`
})
