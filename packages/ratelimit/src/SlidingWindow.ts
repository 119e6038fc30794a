/**
 * The sliding-window counter both rate-limit backends run: a key keeps the count of the current
 * fixed window and of the previous one (O(1) memory), and a request is admitted while
 * `previous × (unelapsed share of the window) + current + 1 ≤ limit`. Only admitted requests are
 * counted. The Redis script below mirrors `roll` and `admits` in integer milliseconds, so both
 * backends decide identically; `decide` derives the numbers callers see from either.
 */
import { Duration } from "effect"

export interface RateLimitRule {
  readonly limit: number
  readonly window: Duration.Duration
}

export interface RateLimitDecision {
  readonly allowed: boolean
  readonly limit: number
  /** Requests still admitted right now, after this one. */
  readonly remaining: number
  /** Seconds until a request would be admitted again: ≥ 1 when denied, 0 when allowed. */
  readonly retryAfterSeconds: number
  /** Seconds until every counted request has aged out (0 when nothing is counted). */
  readonly resetSeconds: number
}

/** The counts of one key; `window` is the index of the current fixed window (`⌊now / size⌋`). */
export interface WindowCounts {
  readonly window: number
  readonly current: number
  readonly previous: number
}

/** A rule in integer milliseconds, or `undefined` when it is not a usable rule. */
export const ruleMillis = (rule: RateLimitRule): { readonly limit: number; readonly windowMs: number } | undefined => {
  const windowMs = Math.round(Duration.toMillis(rule.window))
  return Number.isSafeInteger(rule.limit) && rule.limit >= 0 && Number.isSafeInteger(windowMs) && windowMs >= 1
    ? { limit: rule.limit, windowMs }
    : undefined
}

/** Moves stored counts forward to window `index`. */
export const roll = (stored: WindowCounts | undefined, index: number): WindowCounts => {
  if (stored === undefined || stored.window < index - 1) return { window: index, current: 0, previous: 0 }
  if (stored.window === index - 1) return { window: index, current: 0, previous: stored.current }
  // Same window, or a later one written by a replica whose clock runs ahead: keep it.
  return stored
}

export const elapsedIn = (counts: WindowCounts, windowMs: number, nowMs: number): number =>
  Math.max(0, nowMs - counts.window * windowMs)

/** Everything is scaled by `windowMs` so the comparison stays in exact integers. */
export const admits = (limit: number, windowMs: number, elapsedMs: number, counts: WindowCounts): boolean =>
  counts.previous * (windowMs - elapsedMs) + (counts.current + 1) * windowMs <= limit * windowMs

/** Milliseconds until `admits` holds again, assuming no other request is admitted meanwhile. */
const waitMillis = (
  limit: number,
  windowMs: number,
  elapsedMs: number,
  counts: Pick<WindowCounts, "current" | "previous">
): number => {
  if (limit < 1) return windowMs - elapsedMs
  if (counts.current + 1 <= limit) {
    // Room in this window once enough of the previous one has faded (previous > 0 here).
    const admittedAt = windowMs - Math.floor((limit - 1 - counts.current) * windowMs / counts.previous)
    return admittedAt - elapsedMs
  }
  // This window is full: it becomes the faded previous window of the next one.
  const admittedAt = windowMs - Math.floor((limit - 1) * windowMs / counts.current)
  return windowMs - elapsedMs + admittedAt
}

/** The decision for a request, given the counts before it and whether it was admitted. */
export const decide = (
  limit: number,
  windowMs: number,
  elapsedMs: number,
  before: Pick<WindowCounts, "current" | "previous">,
  allowed: boolean
): RateLimitDecision => {
  const current = allowed ? before.current + 1 : before.current
  const used = before.previous * (windowMs - elapsedMs) + current * windowMs
  const resetMs = current > 0 ? 2 * windowMs - elapsedMs : before.previous > 0 ? windowMs - elapsedMs : 0
  return {
    allowed,
    limit,
    remaining: Math.max(0, Math.floor((limit * windowMs - used) / windowMs)),
    retryAfterSeconds: allowed
      ? 0
      : Math.max(1, Math.ceil(waitMillis(limit, windowMs, elapsedMs, before) / 1000)),
    resetSeconds: Math.ceil(resetMs / 1000)
  }
}

/** One rule of a request that must pass several (`consumeAll`), and how its window stands. */
export interface RuleStanding {
  readonly limit: number
  readonly windowMs: number
  readonly elapsedMs: number
  readonly before: Pick<WindowCounts, "current" | "previous">
  readonly admits: boolean
}

/**
 * The decisions for a request that must pass every rule: counted in each window only when all of
 * them admit it. A window that admits a request another window refuses says so (`allowed`), with
 * what it has left without this request.
 */
export const decideAll = (standings: ReadonlyArray<RuleStanding>): ReadonlyArray<RateLimitDecision> => {
  const admitted = standings.every((standing) => standing.admits)
  return standings.map(({ admits: thisAdmits, before, elapsedMs, limit, windowMs }) =>
    admitted || !thisAdmits
      ? decide(limit, windowMs, elapsedMs, before, admitted)
      // Refused elsewhere, not counted here: what this window has left without the request.
      : { ...decide(limit, windowMs, elapsedMs, before, false), allowed: true, retryAfterSeconds: 0 }
  )
}

/**
 * The Redis side of `roll`, `admits` and the counting, for a request that must pass one bucket or
 * several at once (each a hash: w = window index, c = current count, p = previous count): KEYS =
 * the buckets, ARGV = now (ms), then window (ms) and limit of each bucket. Counts the request in
 * every bucket only when all of them admit it. Returns { all admitted, then per bucket: admits,
 * previous, current, elapsed } with the counts as they were before this request. Lua numbers are
 * doubles: every product here stays below 2^53 for any realistic limit and window.
 */
export const slidingWindowAllScript = `
local now = tonumber(ARGV[1])
local reply = { 1 }
local states = {}
for i = 1, #KEYS do
  local size = tonumber(ARGV[2 * i])
  local limit = tonumber(ARGV[2 * i + 1])
  local index = math.floor(now / size)
  local stored = redis.call('HMGET', KEYS[i], 'w', 'c', 'p')
  local w = tonumber(stored[1])
  local current = tonumber(stored[2]) or 0
  local previous = tonumber(stored[3]) or 0
  if w == nil or w < index - 1 then
    w = index
    current = 0
    previous = 0
  elseif w == index - 1 then
    w = index
    previous = current
    current = 0
  end
  local elapsed = now - w * size
  if elapsed < 0 then elapsed = 0 end
  local admits = 0
  if previous * (size - elapsed) + (current + 1) * size <= limit * size then
    admits = 1
  else
    reply[1] = 0
  end
  states[i] = { w, current, previous, elapsed, size }
  table.insert(reply, admits)
  table.insert(reply, previous)
  table.insert(reply, current)
  table.insert(reply, elapsed)
end
if reply[1] == 1 then
  for i = 1, #KEYS do
    local state = states[i]
    redis.call('HSET', KEYS[i], 'w', state[1], 'c', state[2] + 1, 'p', state[3])
    redis.call('PEXPIRE', KEYS[i], 2 * state[5] - state[4])
  end
end
return reply
`

interface Entry extends WindowCounts {
  readonly expiresAt: number
}

/** An in-process bucket store; synchronous, so each `consume` is atomic. */
export interface MemoryStore {
  consume(key: string, limit: number, windowMs: number, nowMs: number): RateLimitDecision
  /** What `consume` would decide now, without counting anything. */
  peek(key: string, limit: number, windowMs: number, nowMs: number): RateLimitDecision
  /** A request that must pass every rule: counted in each bucket only when all of them admit it. */
  consumeAll(
    rules: ReadonlyArray<{ readonly key: string; readonly limit: number; readonly windowMs: number }>,
    nowMs: number
  ): ReadonlyArray<RateLimitDecision>
  readonly size: number
}

/** What a request would be told given the stored counts, without counting it. */
export const peekDecision = (
  stored: WindowCounts | undefined,
  limit: number,
  windowMs: number,
  nowMs: number
): RateLimitDecision => {
  const counts = roll(stored, Math.floor(nowMs / windowMs))
  const elapsedMs = elapsedIn(counts, windowMs, nowMs)
  return decide(limit, windowMs, elapsedMs, counts, admits(limit, windowMs, elapsedMs, counts))
}

/** Entries whose counts can no longer matter are swept at most once per `sweepIntervalMs`. */
export const makeMemoryStore = (sweepIntervalMs = 60_000): MemoryStore => {
  const entries = new Map<string, Entry>()
  let nextSweepAt = 0
  const sweep = (nowMs: number) => {
    if (nowMs < nextSweepAt) return
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= nowMs) entries.delete(key)
    }
    nextSweepAt = nowMs + sweepIntervalMs
  }
  return {
    consume(key, limit, windowMs, nowMs) {
      return this.consumeAll([{ key, limit, windowMs }], nowMs)[0]!
    },
    peek(key, limit, windowMs, nowMs) {
      return peekDecision(entries.get(key), limit, windowMs, nowMs)
    },
    consumeAll(rules, nowMs) {
      sweep(nowMs)
      const standings = rules.map(({ key, limit, windowMs }) => {
        const counts = roll(entries.get(key), Math.floor(nowMs / windowMs))
        const elapsedMs = elapsedIn(counts, windowMs, nowMs)
        return {
          key,
          counts,
          limit,
          windowMs,
          elapsedMs,
          before: counts,
          admits: admits(limit, windowMs, elapsedMs, counts)
        }
      })
      if (standings.every((standing) => standing.admits)) {
        for (const { counts, elapsedMs, key, windowMs } of standings) {
          entries.set(key, {
            window: counts.window,
            current: counts.current + 1,
            previous: counts.previous,
            expiresAt: nowMs + 2 * windowMs - elapsedMs
          })
        }
      }
      return decideAll(standings)
    },
    get size() {
      return entries.size
    }
  }
}
