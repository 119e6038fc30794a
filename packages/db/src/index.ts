export * from "./Database.ts"
export * from "./Migrations.ts"
