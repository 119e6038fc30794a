/**
 * A Lua script run with EVALSHA, falling back to EVAL (which also caches it) when Redis answers
 * NOSCRIPT: after a restart, a failover or SCRIPT FLUSH. Internal to this package.
 */
import type { Redis } from "@cuebx/redis"
import { createHash } from "node:crypto"

type RedisClient = (typeof Redis.Service)["client"]

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith("NOSCRIPT")

export const redisScript = (source: string) => {
  const sha = createHash("sha1").update(source).digest("hex")
  return {
    sha,
    run: (client: RedisClient, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) =>
      client.evalsha(sha, keys.length, ...keys, ...args).catch((error: unknown) => {
        if (isNoScript(error)) return client.eval(source, keys.length, ...keys, ...args)
        throw error
      })
  }
}
