export * from "./KeyValueStore.ts"
export * from "./Redis.ts"
