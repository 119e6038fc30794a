/**
 * The workspaces' periodic job: marking pending invitations past their expiry as expired, so
 * listings and reports agree with what accepting them would say.
 */
import { defineJob } from "@cuebx/jobs"
import { DateTime, Effect } from "effect"
import { InvitationsRepo } from "./InvitationsRepo.ts"

export const expireInvitationsJob = defineJob({
  name: "expire-invitations",
  schedule: "*/15 * * * *",
  run: Effect.gen(function*() {
    const expired = yield* (yield* InvitationsRepo).expire(yield* DateTime.now)
    if (expired > 0) yield* Effect.logInfo("Invitations expired", { expired })
  })
})
