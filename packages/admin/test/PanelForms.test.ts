import { assert, describe, it } from "@effect/vitest"
import { UrlParams } from "effect/http"
import { barChart } from "../src/panel/Charts.ts"
import { oneOf, reasonOf } from "../src/panel/pages/PageParts.ts"
import { planCreateOf, planUpdateOf } from "../src/panel/pages/PlanFormInput.ts"
import {
  checkboxInput,
  editForm,
  figures,
  jsonBlock,
  selectInput,
  textArea,
  textInput
} from "../src/panel/PanelForms.ts"

const chartHeight = (chart: string) => Number(/viewBox="0 0 640 (\d+)"/.exec(chart)![1])

const form = (fields: Record<string, string>) => UrlParams.fromInput(fields)

const operator = { username: "ops", csrfToken: "csrf-token-2" }

describe("form controls", () => {
  it("keep what was typed, escaped, and mark what is required", () => {
    const input = textInput({ name: "name", label: "Name", value: "\"><script>", required: true, maxLength: 128 }).value
    assert.include(input, "value=\"&quot;&gt;&lt;script&gt;\"")
    assert.include(input, " maxlength=\"128\" required>")
    assert.include(input, "<span>Name</span>")
    assert.include(
      textInput({ name: "n", label: "N", value: undefined, hint: "blank: none" }).value,
      "<small>blank: none</small>"
    )
    const area = textArea({ name: "features", label: "Features", value: "[\"</textarea>\"]" }).value
    assert.include(area, "[&quot;&lt;/textarea&gt;&quot;]</textarea>")
  })

  it("select the current option and check a set box", () => {
    const select = selectInput({
      name: "period",
      label: "Period",
      value: "year",
      options: [["month", "month"], ["year", "year"]]
    })
    assert.include(select.value, "<option value=\"year\" selected>year</option>")
    assert.include(select.value, "<option value=\"month\">month</option>")
    assert.include(
      checkboxInput({ name: "is_active", label: "Active", checked: true }).value,
      "value=\"true\" checked>"
    )
    assert.notInclude(checkboxInput({ name: "is_active", label: "Active", checked: false }).value, "checked")
  })

  it("an edit form posts with the CSRF token", () => {
    const form = editForm(operator, { action: "/admin/plans", submit: "Create plan", fields: [] }).value
    assert.include(form, "<form class=\"edit\" method=\"post\" action=\"/admin/plans\">")
    assert.include(form, "<input type=\"hidden\" name=\"_csrf\" value=\"csrf-token-2\">")
    assert.include(form, ">Create plan</button>")
  })

  it("figures and JSON read-outs escape what they show", () => {
    assert.include(figures([["MRR API (USD)", "<b>42.00</b>"]]).value, "<strong>&lt;b&gt;42.00&lt;/b&gt;</strong>")
    assert.include(jsonBlock({ a: "<x>" }).value, "&quot;a&quot;: &quot;&lt;x&gt;&quot;")
    assert.strictEqual(jsonBlock(null).value, "<pre>—</pre>")
  })
})

describe("charts", () => {
  it("slant labels too long for their bars, and make room for them", () => {
    const queues = ["otp_emails", "password_reset_confirmation_emails", "stripe_subscription_updated", "usage_commits"]
    const svg =
      barChart({ title: "Queues", categories: queues, series: [{ name: "ready", values: [1, 2, 3, 4] }] }).value
    assert.strictEqual(svg.match(/rotate\(-35\)/g)?.length, 4)
    const short = barChart({ title: "Days", categories: ["01", "02"], series: [{ name: "n", values: [1, 2] }] }).value
    assert.notInclude(short, "rotate(")
    assert.isAbove(chartHeight(svg), chartHeight(short))
  })

  it("say why a chart is incomplete", () => {
    const svg = barChart({
      title: "Queues",
      categories: ["a"],
      series: [{ name: "x", values: [0] }],
      note: "broker <down>"
    })
    assert.include(svg.value, "<p class=\"note\">broker &lt;down&gt;</p></figure>")
  })
})

describe("reading forms", () => {
  it("a reason is required, trimmed, and at most 500 characters", () => {
    assert.strictEqual(reasonOf(form({ reason: "  fraud  " })), "fraud")
    assert.isUndefined(reasonOf(form({ reason: "   " })))
    assert.isUndefined(reasonOf(form({})))
    assert.isUndefined(reasonOf(form({ reason: "x".repeat(501) })))
    assert.strictEqual(oneOf(["a", "b"], "b"), "b")
    assert.isUndefined(oneOf(["a", "b"], "c"))
  })

  const newPlan = {
    product_type: "API",
    type: "paid",
    name: " Team ",
    price: "29.00",
    rank: "7",
    max_seats: "",
    trial_days: "",
    seat_price: "",
    features: "",
    is_active: "true"
  }

  it("a new plan's form decodes as the admin API's body: blanks left out or null, numbers as numbers", () => {
    const decoded = planCreateOf(form(newPlan))
    assert.strictEqual(decoded._tag, "Success")
    if (decoded._tag === "Success") {
      assert.include(decoded.success, { product_type: "API", type: "paid", name: "Team", rank: 7, is_active: true })
      assert.strictEqual(decoded.success.max_seats, null)
      assert.strictEqual(decoded.success.trial_days, null)
      assert.isUndefined(decoded.success.seat_price)
      assert.isUndefined(decoded.success.features)
    }
    const unchecked = planCreateOf(form({ ...newPlan, is_active: "" }))
    assert.isTrue(unchecked._tag === "Success" && unchecked.success.is_active === false)
  })

  it("says every field that is wrong, in the admin API's words", () => {
    const refused = planCreateOf(form({ ...newPlan, name: "", price: "12.345", rank: "first", product_type: "TV" }))
    assert.strictEqual(refused._tag, "Failure")
    if (refused._tag === "Failure") {
      for (const name of ["product_type", "name", "price", "rank"]) {
        assert.match(refused.failure, new RegExp(`(^|; )${name}: `))
      }
      assert.include(refused.failure, "at most two decimals")
    }
    const badFeatures = planUpdateOf(form({ ...newPlan, features: "[" }))
    assert.isTrue(badFeatures._tag === "Failure" && badFeatures.failure.startsWith("features: not valid JSON"))
    const wrongFeature = planUpdateOf(form({ ...newPlan, features: "[{\"title\": 1}]" }))
    assert.isTrue(wrongFeature._tag === "Failure" && wrongFeature.failure.startsWith("features.0."))
  })
})
