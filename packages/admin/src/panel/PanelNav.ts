/**
 * The panel's navigation: one entry per list page, in the order operators look for them.
 */
import type { NavEntry } from "./PanelHtml.ts"

export const panelNav: ReadonlyArray<NavEntry> = [
  { path: "/admin", label: "Dashboard" },
  { path: "/admin/users", label: "Users" },
  { path: "/admin/workspaces", label: "Workspaces" },
  { path: "/admin/subscriptions", label: "Subscriptions" },
  { path: "/admin/plans", label: "Plans" },
  { path: "/admin/payments", label: "Payments" },
  { path: "/admin/usage", label: "Usage" },
  { path: "/admin/stripe-events", label: "Stripe events" },
  { path: "/admin/dead-letters", label: "Dead letters" },
  { path: "/admin/outbox", label: "Outbox" },
  { path: "/admin/audit", label: "Audit log" }
]
