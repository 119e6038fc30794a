/**
 * A TCP proxy a test controls, to simulate network outages between a program and a real server
 * (RabbitMQ, Redis, PostgreSQL, a fake HTTP service) without touching the shared server: `cut()`
 * drops every open connection and refuses new ones until `restore()`; `resetFirst` resets the
 * first connections (a network error for the client) and forwards the later ones.
 */
import { Effect } from "effect"
import { connect, createServer, type Socket } from "node:net"
import type { AddressInfo } from "node:net"

export interface TcpProxy {
  readonly port: number
  /** Closes every proxied connection and refuses new ones. */
  readonly cut: () => void
  /** Accepts connections again. */
  readonly restore: () => void
  /** Keeps connections open but stops forwarding bytes (a hung peer), until `resume()`. */
  readonly pause: () => void
  readonly resume: () => void
  /** How many connections have been accepted so far (reset ones included). */
  readonly connectionsAccepted: () => number
}

export const makeTcpProxy = (
  target: { readonly host: string; readonly port: number },
  options: { readonly resetFirst?: number } = {}
) =>
  Effect.gen(function*() {
    let open = true
    let paused = false
    let accepted = 0
    const sockets = new Set<Socket>()
    const track = (socket: Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => socket.destroy())
    }
    const server = createServer((client) => {
      if (!open) return client.destroy()
      accepted++
      if (accepted <= (options.resetFirst ?? 0)) return client.resetAndDestroy()
      const upstream = connect(target.port, target.host)
      track(client)
      track(upstream)
      client.pipe(upstream)
      upstream.pipe(client)
      if (paused) {
        client.pause()
        upstream.pause()
      }
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
    const proxy: TcpProxy = {
      port,
      cut: () => {
        open = false
        for (const socket of sockets) socket.destroy()
      },
      restore: () => {
        open = true
      },
      pause: () => {
        paused = true
        for (const socket of sockets) socket.pause()
      },
      resume: () => {
        paused = false
        for (const socket of sockets) socket.resume()
      },
      connectionsAccepted: () => accepted
    }
    return proxy
  })
