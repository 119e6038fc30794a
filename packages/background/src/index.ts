export * from "./QueueWorkers.ts"
