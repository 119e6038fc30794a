/**
 * The panel's dashboard: figures and charts drawn from live data (server-rendered SVG): sign-ups
 * and credits consumed per day, refused validations by reason, current subscriptions by plan,
 * the monthly recurring revenue, and each queue's waiting messages and dead letters. Every
 * figure is one aggregate query (or one look per queue at the broker), read when the page is.
 */
import { UserDirectory } from "@cuebx/auth"
import { type RecurringRevenue, SubscriptionDirectory } from "@cuebx/billing"
import { allQueues, Broker, DeadLetters, retryQueueName } from "@cuebx/broker"
import { formatAmount } from "@cuebx/contract"
import { UsageDirectory } from "@cuebx/usage"
import { BigDecimal, DateTime, Effect } from "effect"
import { barChart } from "../Charts.ts"
import { figures } from "../PanelForms.ts"
import { html, page } from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { htmlResponse, signedIn } from "../PanelRequests.ts"
import { type Product, productName, productOptions } from "./PageParts.ts"

const days = 30
const products = productOptions.map(([value]) => value)

/** The last `count` UTC days, oldest first, as `YYYY-MM-DD`. */
const lastDays = (today: DateTime.Utc, count: number) =>
  Array.from(
    { length: count },
    (_, index) => DateTime.formatIsoDateUtc(DateTime.subtract(today, { days: count - 1 - index }))
  )

const money = (value: number) => value.toFixed(2)

/** `API · usd`, for the figures. */
const revenueLabel = (row: RecurringRevenue) => `MRR ${productName(row.product)} (${row.currency.toUpperCase()})`

/** GET /admin */
export const dashboard = signedIn(({ operator }) =>
  Effect.gen(function*() {
    const users = yield* UserDirectory
    const usage = yield* UsageDirectory
    const subscriptions = yield* SubscriptionDirectory
    const deadLetters = yield* DeadLetters
    const broker = yield* Broker
    const today = DateTime.startOf(yield* DateTime.now, "day")
    const since = DateTime.subtract(today, { days: days - 1 })
    const window = lastDays(today, days)
    const queues = allQueues.map((spec) => spec.name)
    const [signups, credits, denials, byPlan, revenue, metrics, depths] = yield* Effect.all([
      users.signupsPerDay(since),
      usage.creditsPerDay(since),
      usage.denialsByReason(since),
      subscriptions.activeByPlan,
      subscriptions.monthlyRecurringRevenue,
      deadLetters.metrics,
      Effect.result(broker.messageCounts(queues.flatMap((queue) => [queue, retryQueueName(queue)])))
    ], { concurrency: 4 })

    const signupsByDay = new Map(signups.map((row) => [row.day, row.count]))
    const creditsOf = (product: Product, day: string) =>
      credits.find((row) => row.product === product && row.day === day)?.credits ?? 0
    const reasons = [...new Set(denials.map((row) => row.reason))].toSorted()
    const denialsOf = (product: Product, reason: string) =>
      denials.find((row) => row.product === product && row.reason === reason)?.count ?? 0
    const currencies = [...new Set(revenue.map((row) => row.currency))].toSorted()
    const revenueOf = (product: Product, currency: string) => {
      const row = revenue.find((candidate) => candidate.product === product && candidate.currency === currency)
      return row === undefined ? 0 : BigDecimal.toNumberUnsafe(row.amount)
    }
    const deadLetterQueues = queues.map((queue) => `${queue}_dead`)
    const deadLettersOf = (queue: string, status: string) =>
      metrics.items.find((item) => item.queueName === queue && item.status === status)?.count ?? 0
    const depthOf = (queue: string) => depths._tag === "Success" ? depths.success.get(queue) ?? 0 : 0

    return htmlResponse(page({
      title: "Dashboard",
      operator,
      nav: panelNav,
      current: "/admin",
      content: html`${
        figures(
          revenue.length === 0
            ? [["MRR", "0.00"]]
            : revenue.map((row) => [revenueLabel(row), formatAmount(row.amount)] as const)
        )
      }<div class="charts">${
        barChart({
          title: `Sign-ups per day (last ${days} days)`,
          categories: window.map((day) => day.slice(5)),
          series: [{ name: "sign-ups", values: window.map((day) => signupsByDay.get(day) ?? 0) }]
        })
      }${
        barChart({
          title: `Credits consumed per day (last ${days} days)`,
          categories: window.map((day) => day.slice(5)),
          series: products.map((product) => ({
            name: productName(product),
            values: window.map((day) => creditsOf(product, day))
          })),
          format: money
        })
      }${
        barChart({
          title: `Refused validations by reason (last ${days} days)`,
          categories: reasons,
          series: products.map((product) => ({
            name: productName(product),
            values: reasons.map((reason) => denialsOf(product, reason))
          }))
        })
      }${
        barChart({
          title: "Active subscriptions by plan",
          categories: byPlan.map((row) => `${productName(row.product)} ${row.planName}`),
          series: [{ name: "subscriptions", values: byPlan.map((row) => row.subscriptions) }]
        })
      }${
        barChart({
          title: "Monthly recurring revenue by product",
          categories: products.map(productName),
          series: currencies.map((currency) => ({
            name: currency.toUpperCase(),
            values: products.map((product) => revenueOf(product, currency))
          })),
          format: money
        })
      }${
        barChart({
          title: "Messages waiting per queue",
          categories: queues,
          series: [
            { name: "ready", values: queues.map(depthOf) },
            { name: "retrying", values: queues.map((queue) => depthOf(retryQueueName(queue))) }
          ],
          ...(depths._tag === "Failure" ? { note: `Queue depths unavailable: ${depths.failure.reason}` } : {})
        })
      }${
        barChart({
          title: "Dead letters per queue",
          categories: queues,
          series: [
            { name: "pending", values: deadLetterQueues.map((queue) => deadLettersOf(queue, "pending")) },
            { name: "retried", values: deadLetterQueues.map((queue) => deadLettersOf(queue, "retried")) },
            { name: "discarded", values: deadLetterQueues.map((queue) => deadLettersOf(queue, "discarded")) }
          ]
        })
      }</div>`
    }))
  })
)
