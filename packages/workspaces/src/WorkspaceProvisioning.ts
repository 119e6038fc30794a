/**
 * What a verified new user gets, once: the personal workspace on the API Free plan (one seat)
 * and the Career Free subscription. It fills the auth package's provisioning seam and runs in
 * the transaction that claims the provisioning, so a failure leaves the user unprovisioned and
 * the next sign-in retries it.
 */
import { PostSignupProvisioning } from "@cuebx/auth"
import { Subscriptions } from "@cuebx/billing"
import { Effect, Layer } from "effect"
import { Workspaces } from "./Workspaces.ts"

export const WorkspaceProvisioning = Layer.effect(
  PostSignupProvisioning,
  Effect.gen(function*() {
    const workspaces = yield* Workspaces
    const subscriptions = yield* Subscriptions
    return PostSignupProvisioning.of({
      provision: Effect.fn("WorkspaceProvisioning.provision")(function*(user) {
        yield* workspaces.ensurePersonal({ id: user.id, email: user.email, fullName: user.fullName })
        yield* subscriptions.ensureCareer(user.id)
      })
    })
  })
)
