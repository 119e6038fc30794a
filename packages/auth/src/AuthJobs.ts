/**
 * The scheduler jobs of auth: purge accounts deleted longer than the retention period ago
 * (daily 03:00 UTC, as the reference), and clean expired sessions, tokens and codes. Both read
 * the time from the `Clock`, like the flows that stamp the rows they delete.
 */
import { defineJob } from "@cuebx/jobs"
import { DateTime, Effect } from "effect"
import { AuthSettings } from "./AuthSettings.ts"
import { cleanupExpiredSessions } from "./SessionsRepo.ts"
import { UsersRepo } from "./UsersRepo.ts"

export const purgeDeletedUsersJob = defineJob({
  name: "purge-deleted-users",
  schedule: "0 3 * * *",
  run: Effect.gen(function*() {
    const settings = yield* AuthSettings
    const users = yield* UsersRepo
    const cutoff = DateTime.subtract(yield* DateTime.now, { days: settings.retentionDays })
    const purged = yield* users.purgeDeletedBefore(cutoff)
    yield* Effect.logInfo("Deleted accounts purged", { purged, cutoff: DateTime.formatIso(cutoff) })
  })
})

export const cleanupExpiredSessionsJob = defineJob({
  name: "cleanup-expired-sessions",
  schedule: "30 3 * * *",
  run: cleanupExpiredSessions
})
