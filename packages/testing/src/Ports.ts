/**
 * TCP ports for tests: one nothing listens on, for a child program to bind (`PORT`) or for a
 * client to be refused on. Asking the kernel for port 0 and closing it again is a race: the
 * kernel hands the same ephemeral port to the next `listen(0)` or outgoing connection on the
 * machine (other test files' fakes, database clients) before the child binds it. These ports
 * come from below the kernel's ephemeral range, where nothing is handed out implicitly.
 */
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"

/** `net.ipv4.ip_local_port_range`, where `listen(0)` and outgoing connections take their ports. */
const ephemeralRange = (): readonly [number, number] => {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!]
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535]
}

const lowestPort = 20_000
const [firstEphemeral] = ephemeralRange()
const poolSize = Math.max(firstEphemeral - lowestPort, 1_000)

/** Ports this process has handed out: never twice. */
const handedOut = new Set<number>()

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once("error", () => resolve(false))
    server.listen({ port, host: "0.0.0.0", exclusive: true }, () => server.close(() => resolve(true)))
  })

/**
 * A TCP port nothing listens on, outside the ephemeral range; each process walks the pool from
 * its own starting point, so concurrent test files rarely even try the same port.
 */
export const freePort = Effect.promise(async () => {
  let candidate = lowestPort + (process.pid * 7919 + handedOut.size * 104_729) % poolSize
  for (let attempt = 0; attempt < poolSize; attempt++) {
    candidate = lowestPort + (candidate - lowestPort + 1) % poolSize
    if (handedOut.has(candidate)) continue
    if (await canListen(candidate)) {
      handedOut.add(candidate)
      return candidate
    }
  }
  throw new Error(`No free TCP port in ${lowestPort}-${lowestPort + poolSize - 1}`)
})
