import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, DateTime } from "effect"
import { barChart } from "../src/panel/Charts.ts"
import { actionForm, amount, html, page, pager, queryString, table, when } from "../src/panel/PanelHtml.ts"
import { safeNext } from "../src/panel/PanelRequests.ts"

const operator = { username: "ops", csrfToken: "csrf-token-1" }

describe("panel HTML", () => {
  it("escapes every interpolation, in text and in attributes", () => {
    const rendered = table(["Email"], [["<script>alert(1)</script>"], [html`<b>kept</b>`]]).value
    assert.include(rendered, "&lt;script&gt;alert(1)&lt;/script&gt;")
    assert.include(rendered, "<b>kept</b>")
    const document = page({ title: "\"><img src=x onerror=1>", operator, nav: [], content: html`` })
    assert.notInclude(document, "<img src=x")
    assert.include(document, "&quot;&gt;&lt;img src=x onerror=1&gt;")
  })

  it("puts the CSRF token in every action form and in the sign-out form", () => {
    const form = actionForm(operator, { action: "/admin/users/1/deactivate", label: "Deactivate", reason: true }).value
    assert.include(form, "<input type=\"hidden\" name=\"_csrf\" value=\"csrf-token-1\">")
    assert.include(form, "name=\"reason\" required")
    assert.include(page({ title: "x", operator, nav: [], content: html`` }), "value=\"csrf-token-1\"")
  })

  it("links no inline script or style", () => {
    const document = page({ title: "x", operator, nav: [{ path: "/admin", label: "Dashboard" }], content: html`` })
    assert.notMatch(document, /<script|\sstyle=|\son[a-z]+=/i)
  })

  it("pages keep the filters and leave out empty ones", () => {
    assert.strictEqual(queryString({ q: "a b", state: undefined, page: 2 }), "?q=a+b&page=2")
    const rendered = pager("/admin/users", { q: "ada", state: undefined }, { page: 2, pageSize: 10, total: 35 }).value
    assert.include(rendered, "35 in all · page 2 of 4")
    assert.include(rendered, "href=\"/admin/users?q=ada\"")
    assert.include(rendered, "href=\"/admin/users?q=ada&amp;page=3\"")
  })

  it("writes instants in UTC to the minute and amounts with two decimals", () => {
    assert.strictEqual(when(DateTime.makeUnsafe("2026-12-03T08:44:59.999Z")), "2026-12-03 08:44 UTC")
    assert.strictEqual(when(null), "—")
    assert.strictEqual(amount(BigDecimal.fromStringUnsafe("12.5")), "12.50")
  })

  it("redirects after sign-in only to a path of the panel", () => {
    assert.strictEqual(safeNext("/admin/users?q=a"), "/admin/users?q=a")
    assert.strictEqual(safeNext("/admin"), "/admin")
    for (
      const hostile of ["https://evil.example", "//evil.example", "/admin//evil.example", "/\\evil", "/api", undefined]
    ) {
      assert.strictEqual(safeNext(hostile), "/admin", String(hostile))
    }
  })
})

describe("charts", () => {
  it("draws a bar per value, scaled to a round maximum, with the values written", () => {
    const svg = barChart({
      title: "Sign-ups",
      categories: ["12-01", "12-02"],
      series: [{ name: "sign-ups", values: [3, 7] }]
    }).value
    assert.strictEqual(svg.match(/<rect class="series-0"/g)?.length, 2)
    assert.include(svg, ">10</text>")
    assert.include(svg, "sign-ups · 12-02: 7")
    assert.notInclude(svg, "No data yet")
  })

  it("says so when there is no data", () => {
    assert.include(
      barChart({ title: "Empty", categories: ["a"], series: [{ name: "x", values: [0] }] }).value,
      "No data yet"
    )
  })
})
