/**
 * What several pages share: the 404 page, reading filters and required reasons from requests,
 * the owner of a billing record (a workspace for the API, a user for Career) as a link with its
 * name, and the badges of recurring states.
 */
import { UsersRepo } from "@cuebx/auth"
import { isUuid } from "@cuebx/db"
import { WorkspaceDirectory } from "@cuebx/workspaces"
import { Effect } from "effect"
import type { UrlParams } from "effect/http"
import { badge, type Flash, html, link, type Operator, page, type SafeHtml } from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { field, htmlResponse } from "../PanelRequests.ts"

export const pageSize = 25

export type Product = "API" | "CAREER"

export const productOptions: ReadonlyArray<readonly [Product, string]> = [["API", "API"], ["CAREER", "Career"]]

export const productName = (product: Product) => product === "API" ? "API" : "Career"

/** The value if it is one of `values` (a filter from the query string), else `undefined`. */
export const oneOf = <const T extends string>(values: ReadonlyArray<T>, value: string | null | undefined) =>
  values.find((candidate) => candidate === value)

/** A query parameter, `undefined` when absent or blank. */
export const queryText = (query: URLSearchParams, name: string) => {
  const value = query.get(name)?.trim()
  return value === undefined || value === "" ? undefined : value
}

/** The operator's reason from a form: trimmed, required, at most 500 characters. */
export const reasonOf = (form: UrlParams.UrlParams): string | undefined => {
  const reason = field(form, "reason")?.trim()
  return reason === undefined || reason === "" || reason.length > 500 ? undefined : reason
}

export const missingReason: Flash = {
  kind: "error",
  text: "Say why (a reason of at most 500 characters) and try again."
}

/** The page of a record that does not exist (or never could: a malformed id). */
export const notFound = (operator: Operator, current: string, what: string) =>
  htmlResponse(
    page({
      title: `${what} not found`,
      operator,
      nav: panelNav,
      current,
      content: html`<p>No ${what.toLowerCase()} with this id.</p>`
    }),
    404
  )

/** Names of the owners of billing records: workspaces' display names and users' emails, by id. */
export const ownerNames = (owners: ReadonlyArray<{ readonly product: Product; readonly ownerId: string | null }>) =>
  Effect.gen(function*() {
    const workspaceIds = owners.flatMap((owner) =>
      owner.product === "API" && owner.ownerId !== null ? [owner.ownerId] : []
    )
    const userIds = owners.flatMap((owner) =>
      owner.product === "CAREER" && owner.ownerId !== null && isUuid(owner.ownerId) ? [owner.ownerId] : []
    )
    const [workspaces, users] = yield* Effect.all([
      (yield* WorkspaceDirectory).namesOf(workspaceIds),
      (yield* UsersRepo).profiles([...new Set(userIds)])
    ])
    return new Map<string, string>([
      ...workspaces,
      ...[...users].map(([id, profile]) => [id, profile.email] as const)
    ])
  })

/** The workspace (API) or user (Career) a record belongs to, linked, by name when known. */
export const ownerLink = (product: Product, ownerId: string | null, names: ReadonlyMap<string, string>): SafeHtml =>
  ownerId === null
    ? html`—`
    : link(
      product === "API" ? `/admin/workspaces/${ownerId}` : `/admin/users/${ownerId}`,
      names.get(ownerId) ?? ownerId
    )

/** Short enough for a table cell; the full id is on the record's page. */
export const shortId = (id: string) => id.slice(0, 8)

export const subscriptionStatusBadge = (status: string) =>
  badge(
    status,
    status === "active" || status === "trialing"
      ? "good"
      : status === "past_due" || status === "unpaid" || status === "paused"
      ? "warn"
      : "bad"
  )

export const yesNo = (value: boolean) => value ? "yes" : "no"
