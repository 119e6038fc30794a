/**
 * The `device_info` label of a session, derived from its `User-Agent`: `"OS / Browser"` such as
 * `Windows / Chrome` or `iOS / Safari`, the raw agent (at most 100 characters) when nothing is
 * recognised, and null without an agent.
 */

const maxRawLength = 100

const has = (userAgent: string, ...needles: ReadonlyArray<string>) =>
  needles.some((needle) => userAgent.includes(needle))

const operatingSystem = (ua: string): string | undefined => {
  if (has(ua, "Windows")) return "Windows"
  // iPhone and iPad agents say "like Mac OS X": iOS must be recognised before macOS.
  if (has(ua, "iPhone", "iPad", "iPod", "iOS")) return "iOS"
  if (has(ua, "Mac OS X", "Macintosh")) return "macOS"
  if (has(ua, "Android")) return "Android"
  if (has(ua, "Linux")) return "Linux"
  return undefined
}

const browser = (ua: string): string | undefined => {
  if (has(ua, "Edg/", "EdgA/", "EdgiOS/")) return "Edge"
  // Chrome and Firefox on iOS are WebKit underneath and also say "Safari".
  if (has(ua, "Chrome", "CriOS/")) return "Chrome"
  if (has(ua, "Firefox", "FxiOS/")) return "Firefox"
  if (has(ua, "Safari")) return "Safari"
  return undefined
}

export const deviceInfo = (userAgent: string | undefined | null): string | null => {
  if (userAgent === undefined || userAgent === null || userAgent.trim() === "") return null
  const parts = [operatingSystem(userAgent), browser(userAgent)].filter((part) => part !== undefined)
  return parts.length > 0 ? parts.join(" / ") : userAgent.slice(0, maxRawLength)
}
