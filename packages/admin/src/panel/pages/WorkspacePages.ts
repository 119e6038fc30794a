/**
 * Workspaces in the panel: a searchable, filterable, paged list, and one workspace in full: its
 * owner, members, API keys (each revocable), its API subscription, and the credits of its
 * current period with the form that adjusts them. The actions are in `WorkspaceActions.ts`.
 */
import { UsersRepo } from "@cuebx/auth"
import { Subscriptions } from "@cuebx/billing"
import { WorkspaceStatus } from "@cuebx/contract"
import { CreditAdjustments } from "@cuebx/usage"
import { type DirectoryWorkspace, type ListedApiKey, WorkspaceDirectory, workspaceKinds } from "@cuebx/workspaces"
import { Effect, Option } from "effect"
import { figures, textInput } from "../PanelForms.ts"
import {
  actionForm,
  amount,
  badge,
  details,
  filterForm,
  type Flash,
  html,
  link,
  page,
  pager,
  table,
  when
} from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { flashOf, htmlResponse, type OperatorRequest, pageOf, pathParam, queryOf, signedIn } from "../PanelRequests.ts"
import { notFound, oneOf, pageSize, queryText, subscriptionStatusBadge, yesNo } from "./PageParts.ts"

const statuses = [...WorkspaceStatus.literals, "deleted"] as const

const notices: Readonly<Record<string, Flash>> = {
  "key-revoked": { kind: "ok", text: "The API key is revoked: validations with it are refused from now on." },
  "credits-adjusted": { kind: "ok", text: "The credits of the current period are adjusted." }
}

const statusBadge = (workspace: DirectoryWorkspace) =>
  workspace.isDeleted
    ? badge("deleted", "bad")
    : badge(workspace.status, workspace.status === "active" ? "good" : "warn")

const keyState = ({ key, usable }: ListedApiKey) =>
  usable
    ? badge("usable", "good")
    : key.revokedAt !== null || !key.isActive
    ? badge("revoked", "bad")
    : badge("expired", "warn")

/** GET /admin/workspaces */
export const workspaceList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const directory = yield* WorkspaceDirectory
    const query = queryOf(request)
    const text = queryText(query, "q")
    const status = oneOf(statuses, query.get("status"))
    const kind = oneOf(workspaceKinds, query.get("kind"))
    const owner = queryText(query, "owner")
    const current = pageOf(request)
    const result = yield* directory.search({
      text,
      status,
      kind,
      ownerId: owner,
      limit: pageSize,
      offset: (current - 1) * pageSize
    })
    const owners = yield* (yield* UsersRepo).profiles([...new Set(result.items.map((item) => item.ownerId))])
    return htmlResponse(page({
      title: "Workspaces",
      operator,
      nav: panelNav,
      current: "/admin/workspaces",
      content: html`${
        filterForm("/admin/workspaces", [
          { kind: "search", name: "q", label: "Name, slug or id", value: text },
          { kind: "select", name: "status", label: "Status", value: status, options: statuses.map((s) => [s, s]) },
          { kind: "select", name: "kind", label: "Kind", value: kind, options: workspaceKinds.map((k) => [k, k]) },
          { kind: "search", name: "owner", label: "Owner id", value: owner }
        ])
      }${
        table(
          ["Name", "Slug", "Owner", "Kind", "Status", "Members", "API keys", "Created"],
          result.items.map((workspace) => [
            link(`/admin/workspaces/${workspace.id}`, workspace.displayName),
            workspace.slug,
            link(`/admin/users/${workspace.ownerId}`, owners.get(workspace.ownerId)?.email ?? workspace.ownerId),
            workspace.isPersonal ? "personal" : "team",
            statusBadge(workspace),
            workspace.memberCount,
            workspace.apiKeyCount,
            when(workspace.createdAt)
          ])
        )
      }${
        pager("/admin/workspaces", { q: text, status, kind, owner }, {
          page: current,
          pageSize,
          total: result.total
        })
      }`
    }))
  })
)

/**
 * The workspace's page; an action that failed shows it again with its error (`flash`) and its
 * status, so the operator sees the page they acted on.
 */
export const workspacePage = (
  { operator, request }: OperatorRequest,
  id: string,
  failure?: { readonly flash: Flash; readonly status: number }
) =>
  Effect.gen(function*() {
    const directory = yield* WorkspaceDirectory
    const found = yield* directory.find(id)
    if (Option.isNone(found)) return notFound(operator, "/admin/workspaces", "Workspace")
    const workspace = found.value
    const [members, keys, holdings, credits, owner] = yield* Effect.all([
      directory.members(id),
      directory.apiKeys(id),
      (yield* Subscriptions).ofWorkspaces([id]),
      (yield* CreditAdjustments).standingOfWorkspace(id),
      (yield* UsersRepo).profiles([workspace.ownerId])
    ])
    const holding = holdings.get(id)
    const subscription = holding === undefined
      ? html`<p class="empty">No API subscription.</p>`
      : details([
        ["Plan", link(`/admin/plans/${holding.plan.id}`, holding.plan.name)],
        ["Status", subscriptionStatusBadge(holding.subscription.status)],
        ["Seats", holding.subscription.seatCount],
        ["Period", `${when(holding.subscription.currentPeriodStart)} → ${when(holding.subscription.currentPeriodEnd)}`],
        ["Record", link(`/admin/subscriptions/${holding.subscription.id}`, holding.subscription.id)]
      ])
    const creditSection = Option.match(credits, {
      onNone: () => html`<p class="empty">No current API subscription, so no period whose credits could change.</p>`,
      onSome: (standing) =>
        html`${
          figures([
            ["Plan allowance", amount(standing.planAllowance)],
            ["Adjustment", amount(standing.adjustment)],
            ["Granted", amount(standing.granted)],
            ["Available", amount(standing.available)]
          ])
        }<p>Period ${when(standing.periodStart)} → ${when(standing.periodEnd)}</p>${
          actionForm(operator, {
            action: `/admin/workspaces/${id}/credits`,
            label: "Adjust credits",
            reason: true,
            fields: textInput({
              name: "credits",
              label: "Credits to add (negative to take)",
              value: undefined,
              required: true,
              type: "number",
              step: "0.01"
            })
          })
        }`
    })
    const flash = failure?.flash ?? flashOf(request, notices)
    return htmlResponse(
      page({
        title: workspace.displayName,
        operator,
        nav: panelNav,
        current: "/admin/workspaces",
        flash,
        content: html`${
          details([
            ["Id", html`<code>${workspace.id}</code>`],
            ["Slug", workspace.slug],
            [
              "Owner",
              link(`/admin/users/${workspace.ownerId}`, owner.get(workspace.ownerId)?.email ?? workspace.ownerId)
            ],
            ["Kind", workspace.isPersonal ? "personal" : "team"],
            ["Status", statusBadge(workspace)],
            ["Description", workspace.description ?? "—"],
            ["Created", when(workspace.createdAt)],
            ["Deleted", when(workspace.deletedAt)]
          ])
        }<h2>Subscription</h2>${subscription}<p>${
          link(`/admin/subscriptions?owner=${id}`, "Every subscription of this workspace")
        } · ${link(`/admin/payments?owner=${id}`, "Payments")} · ${
          link(`/admin/usage?product=API&owner=${id}`, "Usage")
        }</p><h2>Credits this period</h2>${creditSection}<h2>Members</h2>${
          table(
            ["Email", "Name", "Role", "Status", "Joined"],
            members.map((member) =>
              Option.match(member.profile, {
                onNone: () => [member.userId, "—", member.role, member.status, when(member.joinedAt)],
                onSome: (profile) => [
                  link(`/admin/users/${member.userId}`, profile.email),
                  profile.fullName ?? "—",
                  member.role,
                  member.status,
                  when(member.joinedAt)
                ]
              })
            )
          )
        }<h2>API keys</h2>${
          table(
            ["Name", "Prefix", "Test", "State", "Created", "Last used", "Expires", ""],
            keys.map((listed) => [
              listed.key.name,
              html`<code>${listed.key.keyPrefix}…</code>`,
              yesNo(listed.key.isTestKey),
              keyState(listed),
              when(listed.key.createdAt),
              when(listed.key.lastUsedAt),
              when(listed.key.expiresAt),
              listed.key.revokedAt === null && listed.key.isActive
                ? actionForm(operator, {
                  action: `/admin/workspaces/${id}/api-keys/${listed.key.id}/revoke`,
                  label: "Revoke",
                  tone: "danger",
                  reason: true
                })
                : link(`/admin/audit?target_type=api_key&target_id=${listed.key.id}`, "history")
            ])
          )
        }<h2>History</h2><p>${
          link(`/admin/audit?target_type=workspace&target_id=${id}`, "Operator actions on this workspace")
        }</p>`
      }),
      failure?.status ?? 200
    )
  })

/** GET /admin/workspaces/:id */
export const workspaceDetail = signedIn((operatorRequest) =>
  Effect.flatMap(pathParam("id"), (id) => workspacePage(operatorRequest, id))
)
