/**
 * What operators do to a workspace: revoke one of its API keys, and add or take credits for its
 * current period. Each needs a reason and commits with its audit entry (who, what, the state
 * before and after); a refusal shows the workspace again with the reason and a 4xx status.
 */
import { transactionWith } from "@cuebx/db"
import { CreditAdjustments, type CreditStanding } from "@cuebx/usage"
import { type ApiKey, ApiKeys, WorkspaceDirectory } from "@cuebx/workspaces"
import { BigDecimal, Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { AdminAudit } from "../AdminAudit.ts"
import { amount, when } from "../PanelHtml.ts"
import { field, pathParam, seeOther, signedInForm } from "../PanelRequests.ts"
import { missingReason, notFound, reasonOf } from "./PageParts.ts"
import { workspacePage } from "./WorkspacePages.ts"

const keyState = (key: ApiKey) => ({
  workspace_id: key.workspaceId,
  name: key.name,
  is_active: key.isActive,
  revoked_at: key.revokedAt === null ? null : when(key.revokedAt)
})

const creditState = (standing: CreditStanding) => ({
  period_start: when(standing.periodStart),
  period_end: when(standing.periodEnd),
  plan_allowance: amount(standing.planAllowance),
  adjustment: amount(standing.adjustment),
  granted: amount(standing.granted),
  available: amount(standing.available)
})

/** Credits as typed: a signed decimal with at most two decimals. */
const creditsPattern = /^[+-]?\d{1,10}(\.\d{1,2})?$/

/** POST /admin/workspaces/:id/api-keys/:keyId/revoke */
export const revokeApiKey = signedInForm((operatorRequest, form) =>
  Effect.gen(function*() {
    const { clientIp, operator, session } = operatorRequest
    const workspaceId = yield* pathParam("id")
    const keyId = yield* pathParam("keyId")
    if (Option.isNone(yield* (yield* WorkspaceDirectory).find(workspaceId))) {
      return notFound(operator, "/admin/workspaces", "Workspace")
    }
    const reason = reasonOf(form)
    if (reason === undefined) {
      return yield* workspacePage(operatorRequest, workspaceId, { flash: missingReason, status: 422 })
    }
    const keys = yield* ApiKeys
    const audit = yield* AdminAudit
    const transaction = transactionWith(yield* SqlClient.SqlClient)
    return yield* transaction(Effect.gen(function*() {
      const { after, before } = yield* keys.revokeByOperator(workspaceId, keyId)
      yield* audit.record({
        actor: session.username,
        action: "api_key.revoke",
        targetType: "api_key",
        targetId: keyId,
        reason,
        before: keyState(before),
        after: keyState(after),
        clientIp
      })
    })).pipe(
      Effect.as(seeOther(`/admin/workspaces/${workspaceId}?notice=key-revoked`)),
      Effect.catchTag("ApiKeyNotFound", () =>
        workspacePage(operatorRequest, workspaceId, {
          flash: { kind: "error", text: "This workspace has no such API key." },
          status: 404
        }))
    )
  })
)

/** POST /admin/workspaces/:id/credits */
export const adjustCredits = signedInForm((operatorRequest, form) =>
  Effect.gen(function*() {
    const { clientIp, operator, session } = operatorRequest
    const workspaceId = yield* pathParam("id")
    if (Option.isNone(yield* (yield* WorkspaceDirectory).find(workspaceId))) {
      return notFound(operator, "/admin/workspaces", "Workspace")
    }
    const refuse = (text: string, status: number) =>
      workspacePage(operatorRequest, workspaceId, { flash: { kind: "error", text }, status })
    const reason = reasonOf(form)
    if (reason === undefined) return yield* refuse(missingReason.text, 422)
    const typed = field(form, "credits")?.trim() ?? ""
    if (!creditsPattern.test(typed)) {
      return yield* refuse("Credits: a number with at most two decimals, negative to take credits.", 422)
    }
    const credits = BigDecimal.fromStringUnsafe(typed.replace(/^\+/, ""))
    const adjustments = yield* CreditAdjustments
    const audit = yield* AdminAudit
    const transaction = transactionWith(yield* SqlClient.SqlClient)
    return yield* transaction(Effect.gen(function*() {
      const { after, before } = yield* adjustments.adjustWorkspace(workspaceId, credits)
      yield* audit.record({
        actor: session.username,
        action: "workspace.adjust_credits",
        targetType: "workspace",
        targetId: workspaceId,
        reason,
        before: creditState(before),
        after: creditState(after),
        clientIp
      })
    })).pipe(
      Effect.as(seeOther(`/admin/workspaces/${workspaceId}?notice=credits-adjusted`)),
      Effect.catchTags({
        NoCreditPeriod: () =>
          refuse("This workspace has no current API subscription: there is no period to adjust.", 409),
        AdjustmentRefused: (error) => refuse(error.reason, 422)
      })
    )
  })
)
