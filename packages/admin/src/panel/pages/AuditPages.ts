/**
 * The audit log in the panel: every operator action, newest first, filterable by action and by
 * the record it touched, with the state before and after.
 */
import { Effect } from "effect"
import { AdminAudit } from "../AdminAudit.ts"
import { filterForm, html, page, pager, table, when } from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { htmlResponse, pageOf, queryOf, signedIn } from "../PanelRequests.ts"

const pageSize = 50

const compact = (value: unknown) => value === null || value === undefined ? "—" : JSON.stringify(value)

/** GET /admin/audit */
export const auditLog = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const audit = yield* AdminAudit
    const query = queryOf(request)
    const action = query.get("action") || undefined
    const targetType = query.get("target_type") || undefined
    const targetId = query.get("target_id") || undefined
    const current = pageOf(request)
    const result = yield* audit.list({
      action,
      targetType,
      targetId,
      limit: pageSize,
      offset: (current - 1) * pageSize
    })
    return htmlResponse(page({
      title: "Audit log",
      operator,
      nav: panelNav,
      current: "/admin/audit",
      content: html`${
        filterForm("/admin/audit", [
          { kind: "search", name: "action", label: "Action", value: action },
          { kind: "search", name: "target_type", label: "Record type", value: targetType },
          { kind: "search", name: "target_id", label: "Record id", value: targetId }
        ])
      }${
        table(
          ["When", "Who", "Action", "Record", "Reason", "Before", "After", "From"],
          result.items.map((entry) => [
            when(entry.at),
            entry.actor,
            html`<code>${entry.action}</code>`,
            html`${entry.targetType} <code>${entry.targetId}</code>`,
            entry.reason ?? "—",
            html`<code>${compact(entry.before)}</code>`,
            html`<code>${compact(entry.after)}</code>`,
            entry.clientIp ?? "—"
          ])
        )
      }${
        pager("/admin/audit", { action, target_type: targetType, target_id: targetId }, {
          page: current,
          pageSize,
          total: result.total
        })
      }`
    }))
  })
)
