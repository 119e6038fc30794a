import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { freePort } from "../src/Ports.ts"

const listenOn = (port: number) =>
  Effect.promise(() =>
    new Promise<string>((resolve) => {
      const server = createServer()
      server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"))
      server.listen(port, "127.0.0.1", () => server.close(() => resolve("listening")))
    })
  )

it.effect("hands out distinct free ports below the kernel's ephemeral range (listen(0) never takes them)", () =>
  Effect.gen(function*() {
    const [firstEphemeral] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)
      .map(Number)
    const ports = yield* Effect.forEach(Array.from({ length: 20 }), () => freePort)
    assert.strictEqual(new Set(ports).size, ports.length)
    for (const port of ports) {
      assert.isBelow(port, firstEphemeral!)
      assert.strictEqual(yield* listenOn(port), "listening")
    }
  }))
