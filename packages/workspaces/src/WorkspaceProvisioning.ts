/**
 * What a verified new user gets, once: the personal workspace on the API Free plan (one seat),
 * the Career Free subscription, and a Stripe customer (requested through the outbox, created by
 * the worker once this commits). It fills the auth package's provisioning seam and runs in the
 * transaction that claims the provisioning, so a failure leaves the user unprovisioned and the
 * next sign-in retries it.
 */
import { PostSignupProvisioning } from "@cuebx/auth"
import { StripeCustomers, Subscriptions } from "@cuebx/billing"
import { Effect, Layer } from "effect"
import { Workspaces } from "./Workspaces.ts"

export const WorkspaceProvisioning = Layer.effect(
  PostSignupProvisioning,
  Effect.gen(function*() {
    const workspaces = yield* Workspaces
    const subscriptions = yield* Subscriptions
    const customers = yield* StripeCustomers
    return PostSignupProvisioning.of({
      provision: Effect.fn("WorkspaceProvisioning.provision")(function*(user) {
        yield* workspaces.ensurePersonal({ id: user.id, email: user.email, fullName: user.fullName })
        yield* subscriptions.ensureCareer(user.id)
        yield* customers.requestForUser(user)
      })
    })
  })
)
