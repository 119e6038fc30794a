/**
 * `@cuebx/usage-client`: the typed client of CueBX's metered usage for internal services.
 */
export * from "./UsageClient.ts"
