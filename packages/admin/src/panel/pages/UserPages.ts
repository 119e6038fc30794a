/**
 * Users in the panel: a searchable, filterable, paged list; one account in full; deactivating
 * (which signs the account out everywhere) and reactivating it, each recorded in the audit log.
 */
import { type DirectoryUser, UserDirectory } from "@cuebx/auth"
import { transactionWith } from "@cuebx/db"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { AdminAudit } from "../AdminAudit.ts"
import {
  actionForm,
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
import {
  field,
  flashOf,
  htmlResponse,
  pageOf,
  pathParam,
  queryOf,
  seeOther,
  signedIn,
  signedInForm
} from "../PanelRequests.ts"

const pageSize = 25
const states = ["active", "inactive", "deleted"] as const

const notices: Readonly<Record<string, Flash>> = {
  deactivated: { kind: "ok", text: "The account is deactivated and signed out everywhere." },
  reactivated: { kind: "ok", text: "The account is active again." }
}

const stateBadge = (user: DirectoryUser) =>
  user.isDeleted ? badge("deleted", "bad") : user.isActive ? badge("active", "good") : badge("inactive", "warn")

const signInMethods = (user: DirectoryUser) =>
  [...(user.hasPassword ? ["password"] : []), ...user.oauthProviders].join(", ") || "—"

/** GET /admin/users */
export const userList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const directory = yield* UserDirectory
    const query = queryOf(request)
    const text = query.get("q") ?? undefined
    const stateParam = query.get("state") ?? undefined
    const state = states.find((candidate) => candidate === stateParam)
    const current = pageOf(request)
    const result = yield* directory.search({ text, state, limit: pageSize, offset: (current - 1) * pageSize })
    return htmlResponse(page({
      title: "Users",
      operator,
      nav: panelNav,
      current: "/admin/users",
      content: html`${
        filterForm("/admin/users", [
          { kind: "search", name: "q", label: "Email or name", value: text },
          { kind: "select", name: "state", label: "State", value: state, options: states.map((s) => [s, s]) }
        ])
      }${
        table(
          ["Email", "Name", "State", "Verified", "Sign-in", "Created"],
          result.items.map((user) => [
            link(`/admin/users/${user.id}`, user.email),
            user.fullName ?? "—",
            stateBadge(user),
            user.emailVerified ? "yes" : "no",
            signInMethods(user),
            when(user.createdAt)
          ])
        )
      }${pager("/admin/users", { q: text, state }, { page: current, pageSize, total: result.total })}`
    }))
  })
)

/** GET /admin/users/:id */
export const userDetail = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const directory = yield* UserDirectory
    const found = yield* directory.find(yield* pathParam("id"))
    if (Option.isNone(found)) {
      return htmlResponse(
        page({
          title: "User not found",
          operator,
          nav: panelNav,
          current: "/admin/users",
          content: html`<p>No user with this id.</p>`
        }),
        404
      )
    }
    const user = found.value
    const actions = user.isDeleted
      ? html`<p class="empty">A deleted account cannot be changed.</p>`
      : user.isActive
      ? actionForm(operator, {
        action: `/admin/users/${user.id}/deactivate`,
        label: "Deactivate",
        tone: "danger",
        reason: true
      })
      : actionForm(operator, { action: `/admin/users/${user.id}/reactivate`, label: "Reactivate", reason: true })
    return htmlResponse(page({
      title: user.email,
      operator,
      nav: panelNav,
      current: "/admin/users",
      flash: flashOf(request, notices),
      content: html`${
        details([
          ["Id", html`<code>${user.id}</code>`],
          ["Name", user.fullName ?? "—"],
          ["State", stateBadge(user)],
          ["Email verified", user.emailVerified ? "yes" : "no"],
          ["Signs in with", signInMethods(user)],
          ["Created", when(user.createdAt)],
          ["Deleted", when(user.deletedAt)]
        ])
      }${actions}<h2>History</h2><p>${
        link(`/admin/audit?target_type=user&target_id=${user.id}`, "Operator actions on this account")
      }</p>`
    }))
  })
)

const setActive = (active: boolean) =>
  signedInForm(({ clientIp, session }, form) =>
    Effect.gen(function*() {
      const directory = yield* UserDirectory
      const audit = yield* AdminAudit
      const transaction = transactionWith(yield* SqlClient.SqlClient)
      const id = yield* pathParam("id")
      // The change and its audit entry commit together.
      const changed = yield* transaction(Effect.gen(function*() {
        const result = yield* directory.setActive(id, active)
        if (Option.isSome(result)) {
          yield* audit.record({
            actor: session.username,
            action: active ? "user.reactivate" : "user.deactivate",
            targetType: "user",
            targetId: id,
            reason: field(form, "reason")?.trim() || null,
            before: { is_active: result.value.before.isActive },
            after: { is_active: result.value.after.isActive },
            clientIp
          })
        }
        return result
      }))
      return seeOther(
        Option.isNone(changed)
          ? `/admin/users/${id}`
          : `/admin/users/${id}?notice=${active ? "reactivated" : "deactivated"}`
      )
    })
  )

/** POST /admin/users/:id/deactivate */
export const deactivateUser = setActive(false)

/** POST /admin/users/:id/reactivate */
export const reactivateUser = setActive(true)
