export * from "./ChangeFeed.ts"
export * from "./Database.ts"
export * from "./Migrations.ts"
export * from "./Rows.ts"
