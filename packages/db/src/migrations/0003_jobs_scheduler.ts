import { Effect } from "effect"
import { SqlClient } from "effect/sql"

// Scheduler: one row per job name with the last tick claimed (a replica runs a tick only if its
// conditional UPDATE moves last_tick_at forward) and the last run's outcome, for admins and tests.
// run_count counts started runs (a crashed run still counts); failure_count the failed ones;
// skipped_count the claimed ticks skipped because a previous run still held the job's lock.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE scheduler_jobs (
      job_name varchar(255) PRIMARY KEY,
      schedule varchar(255),
      last_tick_at timestamptz,
      last_started_at timestamptz,
      last_finished_at timestamptz,
      last_outcome varchar(16) CHECK (last_outcome IN ('success', 'failure')),
      last_error text,
      last_run_by varchar(255),
      run_count int NOT NULL DEFAULT 0,
      failure_count int NOT NULL DEFAULT 0,
      skipped_count int NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE TRIGGER scheduler_jobs_touch BEFORE UPDATE ON scheduler_jobs FOR EACH ROW EXECUTE FUNCTION cuebx_touch_updated_at()`
})
