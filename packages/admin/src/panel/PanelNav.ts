/**
 * The panel's navigation: one entry per list page, in the order operators look for them.
 */
import type { NavEntry } from "./PanelHtml.ts"

export const panelNav: ReadonlyArray<NavEntry> = [
  { path: "/admin", label: "Dashboard" },
  { path: "/admin/users", label: "Users" },
  { path: "/admin/dead-letters", label: "Dead letters" },
  { path: "/admin/audit", label: "Audit log" }
]
