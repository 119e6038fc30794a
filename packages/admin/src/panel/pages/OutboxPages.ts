/**
 * The outbox in the panel: messages waiting to be published, failing, or published (until the
 * cleanup job removes them), by queue and paged newest first, and one message with its payload
 * and headers (secrets redacted).
 */
import { allQueues, OutboxDirectory, type OutboxMessage, outboxStateOf, outboxStates, redactValue } from "@cuebx/broker"
import { Effect, Option } from "effect"
import { jsonBlock } from "../PanelForms.ts"
import { badge, details, filterForm, html, link, page, pager, table, when } from "../PanelHtml.ts"
import { panelNav } from "../PanelNav.ts"
import { htmlResponse, pageOf, pathParam, queryOf, signedIn } from "../PanelRequests.ts"
import { notFound, oneOf, pageSize, queryText, shortId } from "./PageParts.ts"

const queues = allQueues.map((spec) => spec.name)

const stateBadge = (message: OutboxMessage) => {
  const state = outboxStateOf(message)
  return badge(state, state === "published" ? "good" : state === "failing" ? "bad" : "plain")
}

const clip = (text: string | null, length = 100) =>
  text === null ? "—" : text.length > length ? `${text.slice(0, length)}…` : text

/** GET /admin/outbox */
export const outboxList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const query = queryOf(request)
    const queue = oneOf(queues, query.get("queue"))
    const state = oneOf(outboxStates, query.get("state"))
    const id = queryText(query, "id")
    const current = pageOf(request)
    const result = yield* (yield* OutboxDirectory).list({
      queue,
      state,
      id,
      limit: pageSize,
      offset: (current - 1) * pageSize
    })
    return htmlResponse(page({
      title: "Outbox",
      operator,
      nav: panelNav,
      current: "/admin/outbox",
      content: html`${
        filterForm("/admin/outbox", [
          { kind: "search", name: "id", label: "Message id", value: id },
          { kind: "select", name: "queue", label: "Queue", value: queue, options: queues.map((q) => [q, q]) },
          { kind: "select", name: "state", label: "State", value: state, options: outboxStates.map((s) => [s, s]) }
        ])
      }${
        table(
          ["Message", "Queue", "State", "Attempts", "Last error", "Created", "Published"],
          result.items.map((message) => [
            link(`/admin/outbox/${message.id}`, shortId(message.messageId)),
            message.queue,
            stateBadge(message),
            message.attempts,
            clip(message.lastError),
            when(message.createdAt),
            when(message.publishedAt)
          ])
        )
      }${pager("/admin/outbox", { id, queue, state }, { page: current, pageSize, total: result.total })}`
    }))
  })
)

/** GET /admin/outbox/:id */
export const outboxDetail = signedIn(({ operator }) =>
  Effect.gen(function*() {
    const found = yield* (yield* OutboxDirectory).find(yield* pathParam("id"))
    if (Option.isNone(found)) return notFound(operator, "/admin/outbox", "Outbox message")
    const message = found.value
    return htmlResponse(page({
      title: `Outbox message of ${message.queue}`,
      operator,
      nav: panelNav,
      current: "/admin/outbox",
      content: html`${
        details([
          ["Id", html`<code>${message.id}</code>`],
          ["Message id", html`<code>${message.messageId}</code>`],
          ["Queue", message.queue],
          ["State", stateBadge(message)],
          ["Attempts", message.attempts],
          ["Last error", message.lastError ?? "—"],
          ["Due", when(message.availableAt)],
          ["Created", when(message.createdAt)],
          ["Published", when(message.publishedAt)]
        ])
      }<h2>Payload</h2>${jsonBlock(redactValue(message.payload))}<h2>Headers</h2>${jsonBlock(message.headers)}`
    }))
  })
)
