export * from "./Redis.ts"
