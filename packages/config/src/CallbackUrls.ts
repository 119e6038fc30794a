/**
 * Where the API may send a browser back to (OAuth callbacks, invitation links): the policy is the
 * CORS allow-list, https only in production, and no wildcard. Also the helper that appends
 * parameters to such a URL's query or fragment.
 */
import { Config } from "effect"
import { CorsSettings } from "./Cors.ts"
import { isProduction } from "./Environment.ts"

export interface CallbackUrlPolicy {
  /** `CORS_ALLOW_ORIGINS`. `*` (or any entry that is not an origin) allows nothing. */
  readonly allowedOrigins: ReadonlyArray<string>
  /** In production only `https` callbacks are accepted. */
  readonly production: boolean
}

const parseUrl = (text: string): URL | undefined => {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

/** `scheme://host[:port]` of an absolute URL with a host, or undefined. */
const originOf = (url: URL): string | undefined => url.host === "" ? undefined : `${url.protocol}//${url.host}`

/** An allow-list entry counts only when it is exactly an origin (a trailing `/` is tolerated). */
const allowedOrigin = (entry: string): string | undefined => {
  const url = parseUrl(entry.trim())
  if (url === undefined || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    return undefined
  }
  if (url.pathname !== "/" && url.pathname !== "") return undefined
  return originOf(url)
}

/**
 * Whether the API may redirect the browser (with tokens in the fragment) to `url`. Unlike the
 * reference, `*` does not allow every origin: that would be an open redirect that hands out tokens.
 */
export const isAllowedCallbackUrl = (url: string, policy: CallbackUrlPolicy): boolean => {
  const parsed = parseUrl(url.trim())
  if (parsed === undefined || parsed.username !== "" || parsed.password !== "") return false
  const origin = originOf(parsed)
  if (origin === undefined) return false
  if (policy.production && parsed.protocol !== "https:") return false
  return policy.allowedOrigins.some((entry) => allowedOrigin(entry) === origin)
}

export type UrlParamValue = string | number | boolean | null | undefined

const joinParams = (existing: string, encoded: string) =>
  existing === "" || existing.endsWith("&") || existing.endsWith("?")
    ? `${existing}${encoded}`
    : `${existing}&${encoded}`

/**
 * Adds `params` (form-urlencoded, `null`/`undefined` values left out) to the query or the fragment
 * of `url`, keeping what is already there: a query is extended with `&` and stays before the
 * fragment, a fragment is extended with `&`.
 */
export const appendToUrl = (
  url: string,
  params: Readonly<Record<string, UrlParamValue>>,
  position: "query" | "fragment"
): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) search.append(key, String(value))
  }
  const encoded = search.toString()
  if (encoded === "") return url
  const hashAt = url.indexOf("#")
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt)
  const fragment = hashAt === -1 ? undefined : url.slice(hashAt + 1)
  if (position === "fragment") return `${beforeHash}#${joinParams(fragment ?? "", encoded)}`
  const queryAt = beforeHash.indexOf("?")
  const withQuery = queryAt === -1
    ? `${beforeHash}?${encoded}`
    : `${beforeHash.slice(0, queryAt)}?${joinParams(beforeHash.slice(queryAt + 1), encoded)}`
  return fragment === undefined ? withQuery : `${withQuery}#${fragment}`
}

/** The policy of this deployment: `CORS_ALLOW_ORIGINS` and whether it is production. */
export const CallbackUrlSettings: Config.Config<CallbackUrlPolicy> = Config.all({
  allowedOrigins: CorsSettings.pipe(Config.map((cors) => cors.allowOrigins)),
  production: isProduction
})
