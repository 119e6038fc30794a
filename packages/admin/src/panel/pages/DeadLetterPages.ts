/**
 * Dead letters in the panel: the list by queue and status, one message (its body and headers with
 * secrets redacted), and replaying (publish the original body, then mark it) or discarding it,
 * each recorded in the audit log.
 */
import { type DeadLetter, DeadLetters, redactBody, redactValue } from "@cuebx/broker"
import { Effect } from "effect"
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
const statuses = ["pending", "retried", "discarded"] as const

const notices: Readonly<Record<string, Flash>> = {
  replayed: { kind: "ok", text: "Replayed: the original message is back on its queue." },
  discarded: { kind: "ok", text: "Discarded." },
  "not-pending": { kind: "error", text: "Only a pending dead letter can be replayed or discarded." },
  "broker-down": { kind: "error", text: "The message broker is unavailable; nothing was replayed." }
}

const statusBadge = (status: DeadLetter["status"]) =>
  badge(status, status === "pending" ? "warn" : status === "retried" ? "good" : "plain")

const clip = (text: string | null, length = 120) =>
  text === null ? "—" : text.length > length ? `${text.slice(0, length)}…` : text

/** GET /admin/dead-letters */
export const deadLetterList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const deadLetters = yield* DeadLetters
    const query = queryOf(request)
    const queue = query.get("queue") || undefined
    const statusParam = query.get("status") ?? "pending"
    const status = statuses.find((candidate) => candidate === statusParam)
    const current = pageOf(request)
    const [result, metrics] = yield* Effect.all([
      deadLetters.list({ queue, status, limit: pageSize, offset: (current - 1) * pageSize }),
      deadLetters.metrics
    ])
    const queues = [...new Set(metrics.items.map((item) => item.queueName))].toSorted()
    return htmlResponse(page({
      title: "Dead letters",
      operator,
      nav: panelNav,
      current: "/admin/dead-letters",
      content: html`${
        filterForm("/admin/dead-letters", [
          { kind: "select", name: "queue", label: "Queue", value: queue, options: queues.map((q) => [q, q]) },
          { kind: "select", name: "status", label: "Status", value: status, options: statuses.map((s) => [s, s]) }
        ])
      }${
        table(
          ["Queue", "Status", "Attempts", "Error", "Dead-lettered"],
          result.items.map((row) => [
            link(`/admin/dead-letters/${row.id}`, row.queueName),
            statusBadge(row.status),
            row.attemptCount,
            clip(row.errorMessage),
            when(row.createdAt)
          ])
        )
      }${pager("/admin/dead-letters", { queue, status }, { page: current, pageSize, total: result.total })}`
    }))
  })
)

/** GET /admin/dead-letters/:id */
export const deadLetterDetail = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const deadLetters = yield* DeadLetters
    const id = yield* pathParam("id")
    return yield* deadLetters.get(id).pipe(
      Effect.map((row) =>
        htmlResponse(page({
          title: `Dead letter of ${row.queueName}`,
          operator,
          nav: panelNav,
          current: "/admin/dead-letters",
          flash: flashOf(request, notices),
          content: html`${
            details([
              ["Id", html`<code>${row.id}</code>`],
              ["Queue", row.queueName],
              ["Original queue", row.originalQueue ?? "—"],
              ["Message id", row.messageId ?? "—"],
              ["Status", statusBadge(row.status)],
              ["Attempts", row.attemptCount],
              ["Error", row.errorMessage ?? "—"],
              ["Dead-lettered", when(row.createdAt)],
              ["Alerted", when(row.alertedAt)],
              ["Replayed", when(row.retriedAt)],
              ["Discarded", when(row.discardedAt)]
            ])
          }${
            row.status === "pending"
              ? html`${actionForm(operator, { action: `/admin/dead-letters/${row.id}/replay`, label: "Replay" })}${
                actionForm(operator, {
                  action: `/admin/dead-letters/${row.id}/discard`,
                  label: "Discard",
                  tone: "danger",
                  reason: true
                })
              }`
              : ""
          }<h2>Body</h2><pre>${redactBody(row.messageBody)}</pre><h2>Headers</h2><pre>${
            JSON.stringify(redactValue(row.headers ?? {}), null, 2)
          }</pre>`
        }))
      ),
      Effect.catchTag("DeadLetterNotFound", () =>
        Effect.succeed(htmlResponse(
          page({
            title: "Dead letter not found",
            operator,
            nav: panelNav,
            content: html`<p>No dead letter with this id.</p>`
          }),
          404
        )))
    )
  })
)

const operate = (action: "replay" | "discard") =>
  signedInForm(({ clientIp, session }, form) =>
    Effect.gen(function*() {
      const deadLetters = yield* DeadLetters
      const audit = yield* AdminAudit
      const id = yield* pathParam("id")
      const back = (notice: string) => seeOther(`/admin/dead-letters/${id}?notice=${notice}`)
      // Replay publishes before it marks the row (a broker confirm cannot be rolled back), so the
      // audit entry follows the outcome rather than sharing a transaction with it.
      return yield* (action === "replay" ? deadLetters.replay(id) : deadLetters.discard(id)).pipe(
        Effect.tap((row) =>
          audit.record({
            actor: session.username,
            action: `dead_letter.${action}`,
            targetType: "dead_letter",
            targetId: id,
            reason: field(form, "reason")?.trim() || null,
            before: { status: "pending" },
            after: { status: row.status },
            clientIp
          })
        ),
        Effect.as(back(action === "replay" ? "replayed" : "discarded")),
        Effect.catchTags({
          DeadLetterNotFound: () => Effect.succeed(seeOther("/admin/dead-letters")),
          DeadLetterNotPending: () => Effect.succeed(back("not-pending")),
          PublishFailed: () => Effect.succeed(back("broker-down"))
        })
      )
    })
  )

/** POST /admin/dead-letters/:id/replay */
export const replayDeadLetter = operate("replay")

/** POST /admin/dead-letters/:id/discard */
export const discardDeadLetter = operate("discard")
