/**
 * The panel's pages over HTTP against the real API, a fake Stripe and real infrastructure: every
 * list page and the dashboard answer on a database with nothing in it, every detail page answers
 * a 404 page for an unknown or malformed id, and the pages show and filter records made through
 * the API (a paid checkout with its Stripe events and payment, API keys and usage of both
 * products).
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { billingTestLayer, checkoutAndPay, deliverAndApply } from "../billing/support.ts"
import {
  answerOf,
  careerValidate,
  careerValidateBody,
  commit,
  createKey,
  validate,
  validateBody
} from "../usage/support.ts"
import { createTeam, newUser, uuid } from "../workspaces/support.ts"
import { adminPassword, panelGet, signInPanel } from "./support.ts"

const listPages = [
  "/admin/users",
  "/admin/workspaces",
  "/admin/subscriptions",
  "/admin/payments",
  "/admin/usage",
  "/admin/usage?product=CAREER",
  "/admin/stripe-events",
  "/admin/dead-letters",
  "/admin/outbox",
  "/admin/audit"
]

const detailPages = [
  "/admin/workspaces/:id",
  "/admin/subscriptions/:id",
  "/admin/plans/:id",
  "/admin/payments/:id",
  "/admin/usage/api/:id",
  "/admin/usage/career/:id",
  "/admin/stripe-events/:id",
  "/admin/outbox/:id",
  "/admin/users/:id"
]

layer(billingTestLayer({ ADMIN_PASSWORD: adminPassword }), { excludeTestServices: true, timeout: 120_000 })(
  "the panel's pages",
  (it) => {
    describe("with no data", () => {
      it.effect("every list page and the dashboard answer, saying there is nothing to show", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          for (const path of listPages) {
            const answer = yield* panelGet(signedIn, path)
            assert.strictEqual(answer.status, 200, path)
            assert.include(answer.text, "<p class=\"empty\">Nothing to show.</p>", path)
            assert.include(answer.text, "0 in all · page 1 of 1", path)
          }
          const plans = yield* panelGet(signedIn, "/admin/plans?state=deleted")
          assert.strictEqual(plans.status, 200)
          assert.include(plans.text, "Nothing to show.")
          const dashboard = yield* panelGet(signedIn, "/admin")
          assert.strictEqual(dashboard.status, 200)
          assert.include(dashboard.text, "<span>MRR</span><strong>0.00</strong>")
          assert.strictEqual(dashboard.text.match(/<figure class="chart">/g)?.length, 7)
          assert.isAtLeast(dashboard.text.match(/No data yet/g)?.length ?? 0, 6)
        }))
    })

    describe("unknown records", () => {
      it.effect("a detail page of an unknown or malformed id is a 404 page", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          for (const path of detailPages) {
            for (const id of [uuid(), "not-an-id"]) {
              const answer = yield* panelGet(signedIn, path.replace(":id", id))
              assert.strictEqual(answer.status, 404, `${path} ${id}`)
              assert.include(answer.text, "not found · CueBX admin</title>", `${path} ${id}`)
            }
          }
          assert.strictEqual((yield* panelGet(signedIn, `/admin/usage/other/${uuid()}`)).status, 404)
        }))
    })

    describe("with records made through the API", () => {
      it.effect("show, search and filter workspaces, subscriptions, payments, usage, Stripe events and the outbox", () =>
        Effect.gen(function*() {
          const signedIn = yield* signInPanel
          const sql = yield* SqlClient.SqlClient
          const owner = yield* newUser("panel-pages", "Grace Hopper")
          const workspaceId = yield* createTeam(owner, "Compilers Inc")
          const { events } = yield* checkoutAndPay(owner, { workspaceId, plan: "Basic", seats: 2 })
          yield* deliverAndApply(...events)
          const key = yield* createKey(owner, workspaceId, false)
          const fixture = {
            owner,
            workspaceId,
            clientId: `ws_${workspaceId.replaceAll("-", "")}`,
            liveKey: key.api_key,
            liveKeyId: key.key.id,
            testKey: key.api_key,
            testKeyId: key.key.id
          }
          const granted = answerOf(yield* validate(validateBody(fixture)))
          assert.strictEqual(granted.access, "granted")
          yield* commit({ api_key: fixture.liveKey, usage_id: granted.usage_id, success: true })
          const career = answerOf(yield* careerValidate(owner, careerValidateBody()))
          assert.strictEqual(career.access, "granted")

          const page = (path: string) =>
            Effect.map(panelGet(signedIn, path), (answer) => {
              assert.strictEqual(answer.status, 200, `${path}: ${answer.text.slice(0, 200)}`)
              return answer.text
            })

          assert.include(yield* page("/admin/workspaces?q=compilers"), "Compilers Inc</a>")
          assert.notInclude(yield* page("/admin/workspaces?q=compilers&status=frozen"), "Compilers Inc</a>")
          assert.include(yield* page(`/admin/workspaces?owner=${owner.id}&kind=team`), "Compilers Inc</a>")
          const workspace = yield* page(`/admin/workspaces/${workspaceId}`)
          for (const shown of [owner.email, "Grace Hopper", "live", "Basic</a>", "Credits this period"]) {
            assert.include(workspace, shown)
          }

          const subscriptions = yield* page(`/admin/subscriptions?owner=${workspaceId}&status=active`)
          assert.include(subscriptions, "Basic</a>")
          assert.include(subscriptions, "Compilers Inc</a>")
          const [subscription] = yield* sql<{ readonly id: string; readonly stripeSubscriptionId: string }>`
            SELECT id, stripe_subscription_id FROM subscriptions WHERE owner_id = ${workspaceId} AND status = 'ACTIVE'
              AND stripe_subscription_id IS NOT NULL`
          assert.include(yield* page(`/admin/subscriptions?q=${subscription!.stripeSubscriptionId}`), "Basic</a>")
          assert.include(yield* page(`/admin/subscriptions?product=CAREER&owner=${owner.id}`), "Free</a>")

          const [payment] = yield* sql<{ readonly id: string; readonly providerInvoiceId: string }>`
            SELECT id, provider_invoice_id FROM payments WHERE owner_id = ${workspaceId}`
          assert.include(yield* page(`/admin/subscriptions/${subscription!.id}`), payment!.providerInvoiceId)
          assert.include(yield* page(`/admin/payments?owner=${workspaceId}`), payment!.providerInvoiceId)
          assert.include(yield* page(`/admin/payments?invoice=${payment!.providerInvoiceId}`), "Compilers Inc</a>")
          assert.include(yield* page(`/admin/payments/${payment!.id}`), "Compilers Inc</a>")

          const usage = yield* page(`/admin/usage?product=API&owner=${workspaceId}&status=SUCCESS`)
          assert.include(usage, granted.usage_id!.slice(0, 8))
          assert.include(yield* page(`/admin/usage/api/${granted.usage_id}`), "Credits charged")
          const careerUsage = yield* page(`/admin/usage?product=CAREER&owner=${owner.id}`)
          assert.include(careerUsage, career.usage_id!.slice(0, 8))
          assert.include(yield* page(`/admin/usage/career/${career.usage_id}`), "CAREER_CAREER_PATH")

          const [event] = yield* sql<{ readonly id: string; readonly eventId: string }>`
            SELECT id, event_id FROM stripe_event_logs WHERE event_type = 'checkout.session.completed'`
          assert.include(
            yield* page("/admin/stripe-events?type=checkout.session.completed&state=processed"),
            event!.eventId
          )
          assert.include(yield* page(`/admin/stripe-events/${event!.id}`), "checkout.session.completed")

          const outbox = yield* page("/admin/outbox?queue=stripe_checkout_completed&state=published")
          const [message] = yield* sql<{ readonly id: string; readonly messageId: string }>`
            SELECT id, message_id FROM outbox_messages WHERE queue = 'stripe_checkout_completed'`
          assert.include(outbox, message!.messageId.slice(0, 8))
          assert.include(yield* page(`/admin/outbox?id=${message!.messageId}`), message!.messageId.slice(0, 8))
          assert.include(yield* page(`/admin/outbox/${message!.id}`), "event_id")

          const plans = yield* page("/admin/plans?product=API&state=active")
          assert.include(plans, "Basic</a>")
          assert.notInclude(plans, "<td>Career</td>")
          const [basic] = yield* sql<
            { readonly id: string }
          >`SELECT id FROM plans WHERE product_type = 'API' AND name = 'Basic'`
          assert.include(yield* page(`/admin/plans/${basic!.id}`), "Credits per period")
          assert.include(yield* page("/admin/plans/new"), "Create plan")
        }))
    })
  }
)
