/**
 * Every call to amqplib goes through these: a broker RPC that never answers (a half-open
 * connection) must not hang a request, a consumer or a shutdown.
 */
import { Effect } from "effect"

/** An amqplib call that fails after `timeout` instead of waiting forever. */
export const amqpCall = <A>(call: () => Promise<A>, timeout: `${number} seconds` = "10 seconds") =>
  Effect.tryPromise(call).pipe(Effect.timeout(timeout))

/** Closing or cancelling: best effort, bounded, never failing. */
export const amqpQuietly = (call: () => Promise<unknown>) =>
  Effect.promise(() => call().catch(() => undefined)).pipe(Effect.timeout("3 seconds"), Effect.ignore)
