/**
 * `@cuebx/admin`: the admin API's handlers and its authentication, and the admin panel at `/admin`.
 */
export * from "./AdminAuthentication.ts"
export * from "./AdminLogins.ts"
export * from "./AdminSettings.ts"
export * from "./http/DeadLettersHttp.ts"
export * from "./http/PlansAdminHttp.ts"
export * from "./panel/AdminAudit.ts"
export * from "./panel/AdminPanel.ts"
export * from "./panel/AdminSessions.ts"
