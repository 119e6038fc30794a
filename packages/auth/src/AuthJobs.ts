/**
 * The scheduler jobs of auth: purge accounts deleted longer than the retention period ago
 * (daily 03:00 UTC, as the reference), and clean expired sessions, tokens and codes.
 */
import { defineJob } from "@cuebx/jobs"
import { Effect } from "effect"
import { AuthSettings } from "./AuthSettings.ts"
import { cleanupExpiredSessions } from "./Sessions.ts"
import { UsersRepo } from "./UsersRepo.ts"

export const purgeDeletedUsersJob = defineJob({
  name: "purge-deleted-users",
  schedule: "0 3 * * *",
  run: Effect.gen(function*() {
    const settings = yield* AuthSettings
    const users = yield* UsersRepo
    const cutoff = new Date(Date.now() - settings.retentionDays * 24 * 60 * 60 * 1000)
    const purged = yield* users.purgeDeletedBefore(cutoff)
    yield* Effect.logInfo("Deleted accounts purged", { purged, cutoff: cutoff.toISOString() })
  })
})

export const cleanupExpiredSessionsJob = defineJob({
  name: "cleanup-expired-sessions",
  schedule: "30 3 * * *",
  run: cleanupExpiredSessions
})
