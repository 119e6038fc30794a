/**
 * `@cuebx/email`: the email queues' payloads and templates, and delivery through Brevo. The
 * consumer runtime (in the worker) decides when to send, retry or dead-letter.
 */
export * from "./Brevo.ts"
export * from "./EmailConsumers.ts"
export * from "./EmailPayloads.ts"
export * from "./EmailQueues.ts"
export * from "./EmailSettings.ts"
export * from "./EmailTemplates.ts"
