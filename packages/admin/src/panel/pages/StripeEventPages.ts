/**
 * Stripe events in the panel: the events the webhook recorded, filtered by type, state and event
 * id and paged newest first; one event with its payload and outcome; and re-enqueuing it, which
 * puts its message on its queue again through the outbox and is audited in the same transaction.
 */
import { handledEventTypes, type RecordedStripeEvent, StripeEventDirectory, stripeEventStates } from "@cuebx/billing"
import { redactValue } from "@cuebx/broker"
import { transactionWith } from "@cuebx/db"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { AdminAudit } from "../AdminAudit.ts"
import { jsonBlock } from "../PanelForms.ts"
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
  flashOf,
  htmlResponse,
  type OperatorRequest,
  pageOf,
  pathParam,
  queryOf,
  seeOther,
  signedIn,
  signedInForm
} from "../PanelRequests.ts"
import { missingReason, notFound, oneOf, pageSize, queryText, reasonOf } from "./PageParts.ts"

const notices: Readonly<Record<string, Flash>> = {
  requeued: { kind: "ok", text: "Re-enqueued: its handler will apply it again from Stripe's current state." }
}

const stateBadge = (event: RecordedStripeEvent) =>
  event.processedAt === null ? badge("pending", "warn") : badge(event.outcome ?? "processed", "good")

const auditState = (event: RecordedStripeEvent) => ({
  event_id: event.eventId,
  processed_at: event.processedAt === null ? null : when(event.processedAt),
  outcome: event.outcome
})

/** GET /admin/stripe-events */
export const stripeEventList = signedIn(({ operator, request }) =>
  Effect.gen(function*() {
    const query = queryOf(request)
    const type = queryText(query, "type")
    const state = oneOf(stripeEventStates, query.get("state"))
    const eventId = queryText(query, "event")
    const current = pageOf(request)
    const result = yield* (yield* StripeEventDirectory).search({
      type,
      state,
      eventId,
      limit: pageSize,
      offset: (current - 1) * pageSize
    })
    return htmlResponse(page({
      title: "Stripe events",
      operator,
      nav: panelNav,
      current: "/admin/stripe-events",
      content: html`${
        filterForm("/admin/stripe-events", [
          { kind: "search", name: "event", label: "Event id", value: eventId },
          { kind: "select", name: "type", label: "Type", value: type, options: handledEventTypes.map((t) => [t, t]) },
          { kind: "select", name: "state", label: "State", value: state, options: stripeEventStates.map((s) => [s, s]) }
        ])
      }${
        table(
          ["Event", "Type", "State", "Created at Stripe", "Received", "Processed"],
          result.items.map((event) => [
            link(`/admin/stripe-events/${event.id}`, event.eventId),
            html`<code>${event.eventType}</code>`,
            stateBadge(event),
            when(event.stripeCreatedAt),
            when(event.receivedAt),
            when(event.processedAt)
          ])
        )
      }${
        pager("/admin/stripe-events", { event: eventId, type, state }, { page: current, pageSize, total: result.total })
      }`
    }))
  })
)

const stripeEventPage = (
  { operator, request }: OperatorRequest,
  id: string,
  failure?: { readonly flash: Flash; readonly status: number }
) =>
  Effect.gen(function*() {
    const found = yield* (yield* StripeEventDirectory).find(id)
    if (Option.isNone(found)) return notFound(operator, "/admin/stripe-events", "Stripe event")
    const event = found.value
    return htmlResponse(
      page({
        title: `Stripe event ${event.eventId}`,
        operator,
        nav: panelNav,
        current: "/admin/stripe-events",
        flash: failure?.flash ?? flashOf(request, notices),
        content: html`${
          details([
            ["Id", html`<code>${event.id}</code>`],
            ["Event id", html`<code>${event.eventId}</code>`],
            ["Type", html`<code>${event.eventType}</code>`],
            ["State", stateBadge(event)],
            ["Created at Stripe", when(event.stripeCreatedAt)],
            ["Received", when(event.receivedAt)],
            ["Processed", when(event.processedAt)]
          ])
        }${
          actionForm(operator, {
            action: `/admin/stripe-events/${event.id}/requeue`,
            label: "Re-enqueue",
            reason: true
          })
        }<p>${
          link(`/admin/audit?target_type=stripe_event&target_id=${event.id}`, "Operator actions on this event")
        }</p><h2>Payload</h2>${jsonBlock(redactValue(event.payload))}`
      }),
      failure?.status ?? 200
    )
  })

/** GET /admin/stripe-events/:id */
export const stripeEventDetail = signedIn((operatorRequest) =>
  Effect.flatMap(pathParam("id"), (id) => stripeEventPage(operatorRequest, id))
)

/** POST /admin/stripe-events/:id/requeue */
export const requeueStripeEvent = signedInForm((operatorRequest, form) =>
  Effect.gen(function*() {
    const { clientIp, operator, session } = operatorRequest
    const id = yield* pathParam("id")
    const directory = yield* StripeEventDirectory
    if (Option.isNone(yield* directory.find(id))) return notFound(operator, "/admin/stripe-events", "Stripe event")
    const reason = reasonOf(form)
    if (reason === undefined) {
      return yield* stripeEventPage(operatorRequest, id, { flash: missingReason, status: 422 })
    }
    const audit = yield* AdminAudit
    const transaction = transactionWith(yield* SqlClient.SqlClient)
    return yield* transaction(Effect.gen(function*() {
      const { after, before, messageId } = yield* directory.requeue(id)
      yield* audit.record({
        actor: session.username,
        action: "stripe_event.requeue",
        targetType: "stripe_event",
        targetId: id,
        reason,
        before: auditState(before),
        after: { ...auditState(after), message_id: messageId },
        clientIp
      })
    })).pipe(
      Effect.as(seeOther(`/admin/stripe-events/${id}?notice=requeued`)),
      Effect.catchTags({
        StripeEventNotFound: () => Effect.succeed(notFound(operator, "/admin/stripe-events", "Stripe event")),
        StripeEventNotRequeueable: (error) =>
          stripeEventPage(operatorRequest, id, { flash: { kind: "error", text: error.reason }, status: 422 })
      })
    )
  })
)
