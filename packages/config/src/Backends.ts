/**
 * Where rate-limit counters and the quota cache live. `memory` is per process (development
 * only); `redis` is shared by every replica and is required in production.
 */
import { Config } from "effect"

const backend = (name: string) => Config.Literals(["memory", "redis"], name).pipe(Config.withDefault("memory"))

export const RateLimitBackend = backend("RATE_LIMIT_BACKEND")
export const QuotaCacheBackend = backend("QUOTA_CACHE_BACKEND")
