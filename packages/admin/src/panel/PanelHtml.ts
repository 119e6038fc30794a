/**
 * The admin panel's HTML: the page layout (navigation, the signed-in operator, flash messages),
 * and the building blocks pages compose — tables, pagers, search forms, and action forms that
 * always carry the CSRF token. Every interpolation is escaped (`html` from `@cuebx/email`); no
 * page has inline scripts or styles, so the Content-Security-Policy can forbid both.
 */
import { formatAmount } from "@cuebx/contract"
import { html, type HtmlValue, SafeHtml } from "@cuebx/email"
import { type BigDecimal, DateTime } from "effect"

export { html, type HtmlValue, SafeHtml }

export interface Operator {
  readonly username: string
  readonly csrfToken: string
}

export interface Flash {
  readonly kind: "ok" | "error"
  readonly text: string
}

export interface NavEntry {
  readonly path: string
  readonly label: string
}

export const csrfField = (operator: Operator) => html`<input type="hidden" name="_csrf" value="${operator.csrfToken}">`

export const page = (options: {
  readonly title: string
  readonly operator: Operator | undefined
  readonly nav: ReadonlyArray<NavEntry>
  readonly current?: string
  readonly flash?: Flash | undefined
  readonly content: SafeHtml
}): string =>
  html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · CueBX admin</title>
<link rel="stylesheet" href="/admin/assets/panel.css">
</head>
<body>
<header class="top">
<a class="brand" href="/admin">CueBX admin</a>
${
    options.operator === undefined ? "" : html`<form class="signout" method="post" action="/admin/logout">
${csrfField(options.operator)}<span>${options.operator.username}</span> <button type="submit">Sign out</button>
</form>`
  }
</header>
<div class="frame">
${
    options.operator === undefined ?
      "" :
      html`<nav>${
        options.nav.map((entry) =>
          html`<a href="${entry.path}"${
            entry.path === options.current ? html` class="current"` : ""
          }>${entry.label}</a>`
        )
      }</nav>`
  }
<main>
<h1>${options.title}</h1>
${
    options.flash === undefined
      ? ""
      : html`<p class="flash ${options.flash.kind}" role="status">${options.flash.text}</p>`
  }
${options.content}
</main>
</div>
</body>
</html>
`.value

/** `2026-12-03 08:44 UTC`; `—` for nothing. */
export const when = (instant: DateTime.DateTime | null | undefined): string =>
  instant === null || instant === undefined ? "—" : `${DateTime.formatIso(instant).slice(0, 16).replace("T", " ")} UTC`

export const amount = (value: BigDecimal.BigDecimal | null | undefined): string =>
  value === null || value === undefined ? "—" : formatAmount(value)

export const badge = (text: string, tone: "good" | "warn" | "bad" | "plain" = "plain") =>
  html`<span class="badge ${tone}">${text}</span>`

export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<HtmlValue>>) =>
  rows.length === 0
    ? html`<p class="empty">Nothing to show.</p>`
    : html`<table><thead><tr>${headers.map((header) => html`<th>${header}</th>`)}</tr></thead><tbody>${
      rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)
    }</tbody></table>`

/** Label/value rows of one record. */
export const details = (rows: ReadonlyArray<readonly [string, HtmlValue]>) =>
  html`<dl class="details">${rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`

export const link = (href: string, text: string) => html`<a href="${href}">${text}</a>`

/** The query string of `values`, empty ones left out. */
export const queryString = (values: Readonly<Record<string, string | number | undefined>>) => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== "") search.set(key, String(value))
  }
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

export interface Paging {
  readonly page: number
  readonly pageSize: number
  readonly total: number
}

export const pager = (path: string, filters: Readonly<Record<string, string | undefined>>, paging: Paging) => {
  const pages = Math.max(1, Math.ceil(paging.total / paging.pageSize))
  const to = (target: number) => `${path}${queryString({ ...filters, page: target === 1 ? undefined : target })}`
  return html`<p class="pager">${paging.total} in all · page ${paging.page} of ${pages}${
    paging.page > 1 ? html` · <a rel="prev" href="${to(paging.page - 1)}">previous</a>` : ""
  }${paging.page < pages ? html` · <a rel="next" href="${to(paging.page + 1)}">next</a>` : ""}</p>`
}

/** A GET form of filters: a text search and any number of selects. */
export const filterForm = (
  path: string,
  fields: ReadonlyArray<
    | { readonly kind: "search"; readonly name: string; readonly label: string; readonly value: string | undefined }
    | {
      readonly kind: "select"
      readonly name: string
      readonly label: string
      readonly value: string | undefined
      readonly options: ReadonlyArray<readonly [string, string]>
    }
  >
) =>
  html`<form class="filters" method="get" action="${path}">${
    fields.map((field) =>
      field.kind === "search"
        ? html`<label>${field.label} <input type="search" name="${field.name}" value="${field.value ?? ""}"></label>`
        : html`<label>${field.label} <select name="${field.name}"><option value="">any</option>${
          field.options.map(([value, label]) =>
            html`<option value="${value}"${value === field.value ? html` selected` : ""}>${label}</option>`
          )
        }</select></label>`
    )
  }<button type="submit">Filter</button></form>`

/**
 * A POST form for one action, with the CSRF token; with `reason`, the operator must say why
 * (kept in the audit log).
 */
export const actionForm = (
  operator: Operator,
  options: {
    readonly action: string
    readonly label: string
    readonly tone?: "danger" | "plain"
    readonly reason?: boolean
    readonly fields?: SafeHtml
  }
) =>
  html`<form class="action" method="post" action="${options.action}">${csrfField(operator)}${options.fields ?? ""}${
    options.reason === true
      ? html`<label>Reason <input type="text" name="reason" required maxlength="500"></label>`
      : ""
  }<button type="submit" class="${options.tone ?? "plain"}">${options.label}</button></form>`
