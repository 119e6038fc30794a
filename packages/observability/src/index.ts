export * from "./Logging.ts"
export * from "./Program.ts"
export * from "./RequestId.ts"
export * from "./Tracing.ts"
