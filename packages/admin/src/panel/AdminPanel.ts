/**
 * The admin panel at `/admin`: server-rendered pages for operators, served by the API. Its routes,
 * and the services it needs of its own (sessions, the audit log); the domain services it shows
 * and acts through are the API's.
 */
import { Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { AdminLogins } from "../AdminLogins.ts"
import { AdminAudit } from "./AdminAudit.ts"
import { AdminSessions } from "./AdminSessions.ts"
import { auditLog } from "./pages/AuditPages.ts"
import { dashboard } from "./pages/DashboardPage.ts"
import { deadLetterDetail, deadLetterList, discardDeadLetter, replayDeadLetter } from "./pages/DeadLetterPages.ts"
import { outboxDetail, outboxList } from "./pages/OutboxPages.ts"
import { paymentDetail, paymentList } from "./pages/PaymentPages.ts"
import { archivePlan, createPlan, updatePlan } from "./pages/PlanActions.ts"
import { newPlanForm, planDetail, planList } from "./pages/PlanPages.ts"
import { signIn, signInForm, signOut } from "./pages/SignInPages.ts"
import { requeueStripeEvent, stripeEventDetail, stripeEventList } from "./pages/StripeEventPages.ts"
import { subscriptionDetail, subscriptionList } from "./pages/SubscriptionPages.ts"
import { usageDetail, usageList } from "./pages/UsagePages.ts"
import { deactivateUser, reactivateUser, userDetail, userList } from "./pages/UserPages.ts"
import { adjustCredits, revokeApiKey } from "./pages/WorkspaceActions.ts"
import { workspaceDetail, workspaceList } from "./pages/WorkspacePages.ts"
import { panelSecurityHeaders } from "./PanelRequests.ts"
import { panelStylesheet } from "./PanelStyles.ts"

const stylesheet = HttpServerResponse.text(panelStylesheet, {
  contentType: "text/css; charset=utf-8",
  headers: panelSecurityHeaders
})

/** Every page and form of the panel (method, path), for the API's route table (405 answers). */
export const adminPanelRoutes = [
  HttpRouter.route("GET", "/admin/assets/panel.css", stylesheet),
  HttpRouter.route("GET", "/admin/login", signInForm),
  HttpRouter.route("POST", "/admin/login", signIn),
  HttpRouter.route("POST", "/admin/logout", signOut),
  HttpRouter.route("GET", "/admin", dashboard),
  HttpRouter.route("GET", "/admin/users", userList),
  HttpRouter.route("GET", "/admin/users/:id", userDetail),
  HttpRouter.route("POST", "/admin/users/:id/deactivate", deactivateUser),
  HttpRouter.route("POST", "/admin/users/:id/reactivate", reactivateUser),
  HttpRouter.route("GET", "/admin/workspaces", workspaceList),
  HttpRouter.route("GET", "/admin/workspaces/:id", workspaceDetail),
  HttpRouter.route("POST", "/admin/workspaces/:id/api-keys/:keyId/revoke", revokeApiKey),
  HttpRouter.route("POST", "/admin/workspaces/:id/credits", adjustCredits),
  HttpRouter.route("GET", "/admin/subscriptions", subscriptionList),
  HttpRouter.route("GET", "/admin/subscriptions/:id", subscriptionDetail),
  HttpRouter.route("GET", "/admin/plans", planList),
  HttpRouter.route("POST", "/admin/plans", createPlan),
  HttpRouter.route("GET", "/admin/plans/new", newPlanForm),
  HttpRouter.route("GET", "/admin/plans/:id", planDetail),
  HttpRouter.route("POST", "/admin/plans/:id", updatePlan),
  HttpRouter.route("POST", "/admin/plans/:id/archive", archivePlan),
  HttpRouter.route("GET", "/admin/payments", paymentList),
  HttpRouter.route("GET", "/admin/payments/:id", paymentDetail),
  HttpRouter.route("GET", "/admin/usage", usageList),
  HttpRouter.route("GET", "/admin/usage/:product/:id", usageDetail),
  HttpRouter.route("GET", "/admin/stripe-events", stripeEventList),
  HttpRouter.route("GET", "/admin/stripe-events/:id", stripeEventDetail),
  HttpRouter.route("POST", "/admin/stripe-events/:id/requeue", requeueStripeEvent),
  HttpRouter.route("GET", "/admin/dead-letters", deadLetterList),
  HttpRouter.route("GET", "/admin/dead-letters/:id", deadLetterDetail),
  HttpRouter.route("POST", "/admin/dead-letters/:id/replay", replayDeadLetter),
  HttpRouter.route("POST", "/admin/dead-letters/:id/discard", discardDeadLetter),
  HttpRouter.route("GET", "/admin/outbox", outboxList),
  HttpRouter.route("GET", "/admin/outbox/:id", outboxDetail),
  HttpRouter.route("GET", "/admin/audit", auditLog)
] as const

export const AdminPanelRoutes = HttpRouter.addAll(adminPanelRoutes)

/** The panel's own services. */
export const AdminPanelLive = Layer.mergeAll(AdminSessions.layer, AdminAudit.layer).pipe(
  Layer.provideMerge(AdminLogins.layer)
)
