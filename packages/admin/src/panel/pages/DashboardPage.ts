/**
 * The panel's dashboard: charts drawn from live data (server-rendered SVG).
 */
import { UserDirectory } from "@cuebx/auth"
import { DeadLetters } from "@cuebx/broker"
import { DateTime, Effect } from "effect"
import { barChart } from "../Charts.ts"
import { html, page } from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { htmlResponse, signedIn } from "../PanelRequests.ts"

const days = 30

/** The last `count` UTC days, oldest first, as `YYYY-MM-DD`. */
const lastDays = (today: DateTime.Utc, count: number) =>
  Array.from(
    { length: count },
    (_, index) => DateTime.formatIsoDateUtc(DateTime.subtract(today, { days: count - 1 - index }))
  )

/** GET /admin */
export const dashboard = signedIn(({ operator }) =>
  Effect.gen(function*() {
    const directory = yield* UserDirectory
    const deadLetters = yield* DeadLetters
    const today = DateTime.startOf(yield* DateTime.now, "day")
    const window = lastDays(today, days)
    const [signups, metrics] = yield* Effect.all([
      directory.signupsPerDay(DateTime.subtract(today, { days: days - 1 })),
      deadLetters.metrics
    ])
    const signupsByDay = new Map(signups.map((row) => [row.day, row.count]))
    const queues = [...new Set(metrics.items.map((item) => item.queueName))].toSorted()
    const countOf = (queue: string, status: string) =>
      metrics.items.find((item) => item.queueName === queue && item.status === status)?.count ?? 0
    return htmlResponse(page({
      title: "Dashboard",
      operator,
      nav: panelNav,
      current: "/admin",
      content: html`<div class="charts">${
        barChart({
          title: `Sign-ups per day (last ${days} days)`,
          categories: window.map((day) => day.slice(5)),
          series: [{ name: "sign-ups", values: window.map((day) => signupsByDay.get(day) ?? 0) }]
        })
      }${
        barChart({
          title: "Dead letters per queue",
          categories: queues.map((queue) => queue.replace(/_dead$/, "")),
          series: [
            { name: "pending", values: queues.map((queue) => countOf(queue, "pending")) },
            { name: "retried", values: queues.map((queue) => countOf(queue, "retried")) },
            { name: "discarded", values: queues.map((queue) => countOf(queue, "discarded")) }
          ]
        })
      }</div>`
    }))
  })
)
