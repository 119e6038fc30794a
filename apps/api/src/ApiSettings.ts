/**
 * Settings of the API process: where it listens, how large a request body may be, how long
 * shutdown waits for in-flight requests, whether it talks to RabbitMQ at all and whether it also
 * runs the background work (consumers, scheduler) in-process.
 */
import { Config } from "effect"

export const ApiSettings = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(8000)),
  host: Config.String("HOST").pipe(Config.withDefault("0.0.0.0")),
  maxRequestBodyBytes: Config.Int("MAX_REQUEST_BODY_BYTES").pipe(Config.withDefault(1024 * 1024)),
  shutdownGraceSeconds: Config.Int("SHUTDOWN_GRACE_SECONDS").pipe(Config.withDefault(20)),
  enableMessaging: Config.Boolean("ENABLE_MESSAGING").pipe(Config.withDefault(true)),
  /** Also run the worker's consumers in this process (single-process deployments). */
  enableConsumers: Config.Boolean("ENABLE_CONSUMERS").pipe(Config.withDefault(false))
})
export type ApiSettings = Config.Success<typeof ApiSettings>
