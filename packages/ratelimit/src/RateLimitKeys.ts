/**
 * Rate-limit bucket keys in the reference's shapes (`ip:{ip}:{path}`, `email:{email}:{path}`).
 * The Redis backend stores them under `rate_limit:`, so `ipKey("1.2.3.4", "/auth/signin")` is
 * the reference's `rate_limit:ip:1.2.3.4:/auth/signin`.
 */

/** Joins the parts with `:`, e.g. `rateLimitKey("career", userId, "day")`. */
export const rateLimitKey = (...parts: ReadonlyArray<string | number>): string => parts.join(":")

export const ipKey = (ip: string, path: string): string => rateLimitKey("ip", ip, path)

/** The email is lowercased so case variants share one bucket. */
export const emailKey = (email: string, path: string): string => rateLimitKey("email", email.toLowerCase(), path)

export const userKey = (userId: string, path: string): string => rateLimitKey("user", userId, path)
