/**
 * Who billing emails about a subscription: a workspace's owner (through the workspaces seam) or
 * the Career user (through auth's profiles), with the names the email templates show.
 */
import { UsersRepo } from "@cuebx/auth"
import { Context, Effect, Layer, Option } from "effect"
import { BillingWorkspaces } from "./BillingWorkspaces.ts"
import type { BillingOwner } from "./SubscriptionState.ts"

export interface BillingContact {
  readonly email: string
  readonly name: string | null
  /** `null` for Career. */
  readonly workspaceName: string | null
}

export class BillingContacts extends Context.Service<BillingContacts, {
  /** `None` when the owner (or its owner's account) is gone. */
  of(owner: BillingOwner): Effect.Effect<Option.Option<BillingContact>>
}>()("@cuebx/billing/BillingContacts") {
  static readonly layer = Layer.effect(
    BillingContacts,
    Effect.gen(function*() {
      const workspaces = yield* BillingWorkspaces
      const users = yield* UsersRepo
      return BillingContacts.of({
        of: Effect.fn("BillingContacts.of")(function*({ ownerId, product }) {
          if (product === "API") {
            return Option.map(yield* workspaces.contact(ownerId), (contact): BillingContact => ({
              email: contact.ownerEmail,
              name: contact.ownerName,
              workspaceName: contact.workspaceName
            }))
          }
          const profile = (yield* users.profiles([ownerId])).get(ownerId)
          return Option.map(
            Option.fromUndefinedOr(profile),
            (found): BillingContact => ({ email: found.email, name: found.fullName, workspaceName: null })
          )
        })
      })
    })
  )
}
