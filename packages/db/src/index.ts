export * from "./Database.ts"
export * from "./Migrations.ts"
export * from "./Rows.ts"
