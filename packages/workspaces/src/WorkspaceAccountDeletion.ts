/**
 * What deleting an account means for workspaces, run by auth inside the deletion's transaction:
 * the account's memberships are flagged, so they no longer show, count or hold a seat, without
 * workspaces reading auth's tables.
 */
import { AccountDeletion } from "@cuebx/auth"
import { Effect, Layer } from "effect"
import { WorkspacesRepo } from "./WorkspacesRepo.ts"

export const WorkspaceAccountDeletion = Layer.effect(
  AccountDeletion,
  Effect.gen(function*() {
    const repo = yield* WorkspacesRepo
    return AccountDeletion.of({
      accountDeleted: Effect.fn("WorkspaceAccountDeletion.accountDeleted")(function*(userId: string) {
        yield* repo.markAccountDeleted(userId)
      })
    })
  })
)
