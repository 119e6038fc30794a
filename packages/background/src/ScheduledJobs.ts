/**
 * The scheduler's job registry: the periodic jobs of every domain, in one list. Each runs on its
 * default schedule unless its `SCHEDULER_<JOB_NAME>` variable overrides it. The scheduler
 * program runs it; the API runs it too when `ENABLE_SCHEDULER` is on.
 */
import { cleanupExpiredSessionsJob, purgeDeletedUsersJob, UsersRepo } from "@cuebx/auth"
import {
  expireSubscriptionsJob,
  type StripeGateway,
  type SubscriptionsRepo,
  type SubscriptionState
} from "@cuebx/billing"
import { Outbox, outboxCleanupJob } from "@cuebx/broker"
import type { Job } from "@cuebx/jobs"
import { expirePendingCareerUsageJob, expirePendingUsageJob, UsageExpiry } from "@cuebx/usage"
import { BillingSyncWithWorkspaces, expireInvitationsJob, InvitationsRepo } from "@cuebx/workspaces"
import { Layer } from "effect"
import type { SqlClient } from "effect/sql"

// Type the list with the union of the services its jobs need: TypeScript does not infer it from
// a mixed list. Later domains add their jobs here, and their services below.
export const scheduledJobs: ReadonlyArray<
  Job<
    | SqlClient.SqlClient
    | UsersRepo
    | InvitationsRepo
    | UsageExpiry
    | SubscriptionsRepo
    | StripeGateway
    | SubscriptionState
  >
> = [
  outboxCleanupJob,
  purgeDeletedUsersJob,
  cleanupExpiredSessionsJob,
  expireInvitationsJob,
  expirePendingUsageJob,
  expirePendingCareerUsageJob,
  expireSubscriptionsJob
]

/** The services the jobs need beyond the database. */
export const ScheduledJobServices = Layer.mergeAll(
  UsersRepo.layer,
  InvitationsRepo.layer,
  UsageExpiry.layer,
  BillingSyncWithWorkspaces.pipe(Layer.provide(Outbox.layer))
)
