/**
 * Settings of metered usage: how long a validated usage may stay uncommitted before the expiry
 * job releases its credits, and how many API keys, workspaces and Career users each API process
 * keeps in its caches.
 */
import { Config, Duration } from "effect"

export const UsageSettings = Config.all({
  pendingTimeout: Config.Int("USAGE_LOG_PENDING_TIMEOUT_MINUTES").pipe(
    Config.withDefault(15),
    Config.map((minutes) => Duration.minutes(minutes))
  ),
  cacheEntries: Config.Int("USAGE_CACHE_MAX_ENTRIES").pipe(Config.withDefault(10_000))
})
export type UsageSettings = Config.Success<typeof UsageSettings>
