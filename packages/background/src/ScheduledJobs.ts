/**
 * The scheduler's job registry: the periodic jobs of every domain, in one list. Each runs on its
 * default schedule unless its `SCHEDULER_<JOB_NAME>` variable overrides it. The scheduler
 * program runs it; the API runs it too when `ENABLE_SCHEDULER` is on.
 */
import { outboxCleanupJob } from "@cuebx/broker"
import type { Job } from "@cuebx/jobs"
import type { SqlClient } from "effect/sql"

// Type the list with the union of the services its jobs need: TypeScript does not infer it from
// a mixed list. Later domains add their jobs (usage expiry, user purge) here.
export const scheduledJobs: ReadonlyArray<Job<SqlClient.SqlClient>> = [outboxCleanupJob]
