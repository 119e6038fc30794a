export * from "./Logging.ts"
export * from "./RequestId.ts"
export * from "./Tracing.ts"
