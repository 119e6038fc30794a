/**
 * `@cuebx/admin`: the admin API's handlers and its authentication; the admin panel grows here.
 */
export * from "./AdminAuthentication.ts"
export * from "./AdminSettings.ts"
export * from "./http/DeadLettersHttp.ts"
