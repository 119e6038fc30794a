/**
 * The scheduler's job registry: the periodic jobs of every domain, in one list. Each runs on its
 * default schedule unless its `SCHEDULER_<JOB_NAME>` variable overrides it. The scheduler
 * program runs it; the API runs it too when `ENABLE_SCHEDULER` is on.
 */
import { cleanupExpiredSessionsJob, purgeDeletedUsersJob, UsersRepo } from "@cuebx/auth"
import { outboxCleanupJob } from "@cuebx/broker"
import type { Job } from "@cuebx/jobs"
import { expireInvitationsJob, InvitationsRepo } from "@cuebx/workspaces"
import { Layer } from "effect"
import type { SqlClient } from "effect/sql"

// Type the list with the union of the services its jobs need: TypeScript does not infer it from
// a mixed list. Later domains add their jobs (usage expiry) here, and their services below.
export const scheduledJobs: ReadonlyArray<Job<SqlClient.SqlClient | UsersRepo | InvitationsRepo>> = [
  outboxCleanupJob,
  purgeDeletedUsersJob,
  cleanupExpiredSessionsJob,
  expireInvitationsJob
]

/** The services the jobs need beyond the database. */
export const ScheduledJobServices = Layer.mergeAll(UsersRepo.layer, InvitationsRepo.layer)
