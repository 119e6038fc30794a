/**
 * Handlers of a workspace's subscription, behind the same access policy as the workspace.
 */
import { subscriptionResponse, Subscriptions } from "@cuebx/billing"
import { CuebxApi, CurrentUser } from "@cuebx/contract"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { WorkspaceAccess } from "../WorkspaceAccess.ts"
import { workspaceErrorToWire } from "./WorkspaceErrors.ts"

export const WorkspaceSubscriptionsHttp = HttpApiBuilder.group(
  CuebxApi,
  "workspaceSubscriptions",
  Effect.fn(function*(handlers) {
    const access = yield* WorkspaceAccess
    const subscriptions = yield* Subscriptions
    return handlers.handle("getWorkspaceSubscription", ({ params }) =>
      Effect.gen(function*() {
        const user = yield* CurrentUser
        yield* access.authorize(user.id, params.workspace_id, "viewSubscription").pipe(
          Effect.mapError(workspaceErrorToWire)
        )
        const current = yield* subscriptions.currentOfWorkspace(params.workspace_id)
        return Option.match(current, { onNone: () => null, onSome: subscriptionResponse })
      }))
  })
)
