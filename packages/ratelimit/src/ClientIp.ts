/**
 * The client address of an HTTP request, for rate-limit keys and audit fields. By default the
 * socket's peer; behind `TRUSTED_PROXY_COUNT` reverse proxies, the `X-Forwarded-For` entry the
 * outermost trusted proxy appended (entries further left are client-controlled and ignored).
 */
import { Context, Effect, Layer, Option, Result } from "effect"
import { HttpServerRequest } from "effect/http"
import { NetAddress } from "effect/net"
import { TrustedProxyCount } from "./RateLimitConfig.ts"

/** Returned when the server does not know the peer address (no socket). */
export const unknownClientIp = "unknown"

const parseAddress = (input: string): NetAddress.IpAddress | undefined => {
  const trimmed = input.trim()
  const bare = trimmed.startsWith("[") && trimmed.endsWith("]") ? trimmed.slice(1, -1) : trimmed
  const ip = NetAddress.ipFromString(bare)
  if (Result.isSuccess(ip)) return NetAddress.toCanonical(ip.success)
  const inet = NetAddress.inetAddressFromString(trimmed)
  return Result.isSuccess(inet) ? NetAddress.toCanonical(inet.success.address) : undefined
}

/** `::ffff:1.2.3.4` becomes `1.2.3.4` and IPv6 gets its canonical form; the rest is only trimmed. */
export const normalizeIp = (address: string): string => {
  const parsed = parseAddress(address)
  return parsed === undefined ? address.trim() : NetAddress.formatIp(parsed)
}

/** Each trusted proxy appends its peer, so the client is the entry `trustedProxyCount` from the right. */
export const clientIpOf = (request: HttpServerRequest.HttpServerRequest, trustedProxyCount: number): string => {
  const remote = Option.match(request.remoteAddress, { onNone: () => unknownClientIp, onSome: normalizeIp })
  const header = request.headers["x-forwarded-for"]
  if (trustedProxyCount < 1 || header === undefined) return remote
  const entries = header.split(",")
  const entry = entries.length >= trustedProxyCount ? entries[entries.length - trustedProxyCount] : undefined
  const forwarded = entry === undefined ? undefined : parseAddress(entry)
  return forwarded === undefined ? remote : NetAddress.formatIp(forwarded)
}

export class ClientIp extends Context.Service<ClientIp, {
  readonly trustedProxyCount: number
  fromRequest(request: HttpServerRequest.HttpServerRequest): string
  /** The client address of the request being handled. */
  readonly current: Effect.Effect<string, never, HttpServerRequest.HttpServerRequest>
}>()("@cuebx/ratelimit/ClientIp") {
  static readonly make = (trustedProxyCount: number) => {
    const fromRequest = (request: HttpServerRequest.HttpServerRequest) => clientIpOf(request, trustedProxyCount)
    return ClientIp.of({
      trustedProxyCount,
      fromRequest,
      current: Effect.map(Effect.service(HttpServerRequest.HttpServerRequest), fromRequest)
    })
  }

  static readonly layerFromCount = (trustedProxyCount: number) =>
    Layer.succeed(ClientIp, ClientIp.make(trustedProxyCount))

  /** Reads `TRUSTED_PROXY_COUNT` (default 0). */
  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    return ClientIp.layerFromCount(yield* TrustedProxyCount)
  }))
}
