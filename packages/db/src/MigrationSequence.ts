/**
 * The one ordered migration sequence of CueBX (`migrations/NNNN_<domain>_<change>.ts`), imported
 * statically so that a bundled program carries its migrations with it. A new migration is added
 * here as well (a test checks that this record and the folder agree). Only ids above the highest
 * applied one run, so never add a lower number.
 */
import m0001 from "./migrations/0001_core_foundation.ts"
import m0002 from "./migrations/0002_messaging_outbox.ts"
import m0003 from "./migrations/0003_jobs_scheduler.ts"
import m0004 from "./migrations/0004_auth_users.ts"
import m0005 from "./migrations/0005_billing_plans_subscriptions.ts"
import m0006 from "./migrations/0006_workspaces_members_invitations_keys.ts"
import m0007 from "./migrations/0007_core_indexes.ts"
import m0008 from "./migrations/0008_workspaces_member_account_deleted.ts"
import m0009 from "./migrations/0009_billing_stripe.ts"
import m0010 from "./migrations/0010_usage_quotas_logs_history.ts"
import m0011 from "./migrations/0011_messaging_queue_messages.ts"
import m0012 from "./migrations/0012_admin_sessions_audit.ts"
import m0013 from "./migrations/0013_usage_credit_adjustments_denials.ts"

export const migrationSequence = {
  "0001_core_foundation": m0001,
  "0002_messaging_outbox": m0002,
  "0003_jobs_scheduler": m0003,
  "0004_auth_users": m0004,
  "0005_billing_plans_subscriptions": m0005,
  "0006_workspaces_members_invitations_keys": m0006,
  "0007_core_indexes": m0007,
  "0008_workspaces_member_account_deleted": m0008,
  "0009_billing_stripe": m0009,
  "0010_usage_quotas_logs_history": m0010,
  "0011_messaging_queue_messages": m0011,
  "0012_admin_sessions_audit": m0012,
  "0013_usage_credit_adjustments_denials": m0013
} as const
