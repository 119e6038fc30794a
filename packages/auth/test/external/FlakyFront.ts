/**
 * A TCP front for a fake HTTP server that resets the first `failures` connections (a network
 * error for the client) and forwards the later ones, counting them; plus a port nobody listens on.
 */
import { Effect } from "effect"
import { type AddressInfo, connect, createServer, type Socket } from "node:net"

export interface FlakyFront {
  readonly url: string
  readonly connections: () => number
}

export const makeFlakyFront = (targetUrl: string, failures: number) =>
  Effect.gen(function*() {
    const target = new URL(targetUrl)
    const sockets = new Set<Socket>()
    let connections = 0
    const track = (socket: Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => socket.destroy())
    }
    const server = createServer((client) => {
      connections++
      track(client)
      if (connections <= failures) return client.resetAndDestroy()
      const upstream = connect(Number(target.port), target.hostname)
      track(upstream)
      client.pipe(upstream)
      upstream.pipe(client)
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
    })
    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.callback<void>((resume) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    const front: FlakyFront = { url: `http://127.0.0.1:${port}`, connections: () => connections }
    return front
  })

/** A port nothing listens on: bound by the OS, then released. */
export const closedPort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})
