/**
 * Handlers of a workspace's subscription changes: the workspace's access policy decides who may
 * (404 to a non-member, 403 by role, a frozen workspace allowing only billing recovery), and each
 * change runs, with the workspace locked, in one transaction with billing's `WorkspaceBilling`.
 * Errors of both domains go through one table; the reference's rate limits apply per user.
 */
import { billingErrors, subscriptionResponse, WorkspaceBilling } from "@cuebx/billing"
import { paymentPageResponse, previewResponse } from "@cuebx/billing"
import { CuebxApi, CurrentUser, errorTranslation } from "@cuebx/contract"
import { transactionWith } from "@cuebx/db"
import { RequestLimits } from "@cuebx/ratelimit"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { SqlClient } from "effect/sql"
import { WorkspaceAccess, type WorkspaceAction } from "../WorkspaceAccess.ts"
import { workspaceErrors } from "./WorkspaceErrors.ts"

const toWire = errorTranslation({ ...workspaceErrors, ...billingErrors })

/** The reference's limits, per user and endpoint. */
export const billingLimits = {
  checkout: { limit: 10, window: "1 hour" },
  cancelSubscription: { limit: 5, window: "1 hour" },
  upgrade: { limit: 10, window: "1 hour" }
} as const

export const reactivatedMessage = "Workspace reactivated successfully."

const defaultPageSize = 20

export const WorkspaceBillingHttp = HttpApiBuilder.group(
  CuebxApi,
  "workspaceBilling",
  Effect.fn(function*(handlers) {
    const access = yield* WorkspaceAccess
    const billing = yield* WorkspaceBilling
    const limits = yield* RequestLimits
    const inTransaction = transactionWith(yield* SqlClient.SqlClient)

    const limited = (user: CurrentUser["Service"], route: keyof typeof billingLimits) =>
      limits.byUser(user.id, `subscriptions.${route}`, billingLimits[route])

    /** A change: authorised with the workspace locked, done in the same transaction. */
    const change = <A, E, R>(
      user: CurrentUser["Service"],
      workspaceId: string,
      action: WorkspaceAction,
      effect: Effect.Effect<A, E, R>
    ) => inTransaction(Effect.andThen(access.authorizeChange(user.id, workspaceId, action), effect))

    return handlers
      .handle("createCheckout", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "checkout")
          const session = yield* Effect.andThen(
            access.authorize(user.id, params.workspace_id, "checkout"),
            billing.checkout(user.id, params.workspace_id, {
              planId: payload.plan_id,
              seats: payload.seat_count,
              successUrl: payload.success_url,
              cancelUrl: payload.cancel_url
            })
          ).pipe(Effect.mapError(toWire))
          return { checkout_url: session.url, session_id: session.sessionId }
        }))
      .handle("updateSeats", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const holding = yield* change(
            user,
            params.workspace_id,
            "changeSeats",
            billing.changeSeats(params.workspace_id, payload.seat_count)
          )
          return subscriptionResponse(holding)
        }).pipe(Effect.mapError(toWire)))
      .handle("cancelSubscription", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "cancelSubscription")
          const holding = yield* change(
            user,
            params.workspace_id,
            "cancelSubscription",
            billing.cancel(params.workspace_id, payload.cancel_at_period_end ?? true)
          ).pipe(Effect.mapError(toWire))
          return subscriptionResponse(holding)
        }))
      .handle("reactivateWorkspace", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* change(
            user,
            params.workspace_id,
            "reactivate",
            billing.reactivate(params.workspace_id, payload.member_ids_to_enable ?? [])
          )
          return { message: reactivatedMessage, success: true }
        }).pipe(Effect.mapError(toWire)))
      .handle("previewUpgrade", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* access.authorize(user.id, params.workspace_id, "previewUpgrade")
          const preview = yield* billing.previewChange(params.workspace_id, {
            planId: payload.new_plan_id ?? undefined,
            seats: payload.new_seat_count ?? undefined
          })
          return previewResponse(preview)
        }).pipe(Effect.mapError(toWire)))
      .handle("upgradePlan", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* limited(user, "upgrade")
          const holding = yield* change(
            user,
            params.workspace_id,
            "upgrade",
            billing.upgrade(params.workspace_id, payload.new_plan_id)
          ).pipe(Effect.mapError(toWire))
          return subscriptionResponse(holding)
        }))
      .handle("listWorkspacePayments", ({ params, query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* access.authorize(user.id, params.workspace_id, "viewPayments")
          const limit = query.limit ?? defaultPageSize
          const offset = query.offset ?? 0
          return paymentPageResponse(yield* billing.payments(params.workspace_id, { limit, offset }), limit, offset)
        }).pipe(Effect.mapError(toWire)))
      .handle("createWorkspacePortal", ({ params, payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* access.authorize(user.id, params.workspace_id, "openBillingPortal")
          return { url: yield* billing.portal(params.workspace_id, payload.return_url) }
        }).pipe(Effect.mapError(toWire)))
  })
)
