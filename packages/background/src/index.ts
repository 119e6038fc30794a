export * from "./QueueWorkers.ts"
export * from "./ScheduledJobs.ts"
