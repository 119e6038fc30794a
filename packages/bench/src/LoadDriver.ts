/**
 * A closed-loop HTTP load driver: `connections` keep-alive connections, each sending its next
 * request as soon as the previous answer arrived, for a warm-up and then a measured window.
 * It records every latency of the window, so percentiles are exact, and counts any answer other
 * than the expected status as an error.
 */
import { Agent, request } from "node:http"

export interface DriveOptions {
  readonly url: string
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  readonly expectedStatus?: number
  readonly connections: number
  readonly warmupMs: number
  readonly durationMs: number
}

export interface DriveResult {
  readonly connections: number
  readonly requests: number
  readonly errors: number
  readonly perSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
}

const percentile = (sorted: Float64Array, fraction: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!

const send = (agent: Agent, target: URL, options: DriveOptions) =>
  new Promise<number>((resolve) => {
    const outgoing = request({
      agent,
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? "GET",
      headers: {
        ...options.headers,
        ...(options.body === undefined ? {} : { "content-length": Buffer.byteLength(options.body) })
      }
    }, (response) => {
      response.on("data", () => undefined)
      response.on("end", () => resolve(response.statusCode ?? 0))
      response.on("error", () => resolve(0))
    })
    outgoing.on("error", () => resolve(0))
    if (options.body !== undefined) outgoing.write(options.body)
    outgoing.end()
  })

export const drive = async (options: DriveOptions): Promise<DriveResult> => {
  const target = new URL(options.url)
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const expected = options.expectedStatus ?? 200
  const start = performance.now()
  const windowStart = start + options.warmupMs
  const windowEnd = windowStart + options.durationMs
  const latencies: Array<number> = []
  let errors = 0

  const loop = async () => {
    while (performance.now() < windowEnd) {
      const sent = performance.now()
      const status = await send(agent, target, options)
      const answered = performance.now()
      if (sent >= windowStart && answered <= windowEnd) {
        latencies.push(answered - sent)
        if (status !== expected) errors++
      }
    }
  }
  await Promise.all(Array.from({ length: options.connections }, loop))
  agent.destroy()
  const sorted = Float64Array.from(latencies).toSorted()
  return {
    connections: options.connections,
    requests: latencies.length,
    errors,
    perSecond: latencies.length / (options.durationMs / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99)
  }
}
