/**
 * Runs one of CueBX's programs (`apps/<name>/src/main.ts`) as a child process with a given
 * environment, for tests of what only a real process shows: start-up refusal, signals, crashes.
 */
import { Effect, Schedule } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import type { Readable } from "node:stream"
import { fileURLToPath } from "node:url"

export const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url))

export interface ChildProgram {
  readonly process: ChildProcess
  /** stdout and stderr so far, line by line. */
  readonly output: () => ReadonlyArray<string>
  /** Waits (up to `timeout`) for a line containing `text`. */
  readonly waitForOutput: (text: string, timeout?: `${number} seconds`) => Effect.Effect<string>
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Effect.Effect<number | string>
}

export const spawnProgram = (
  entry: string,
  env: Readonly<Record<string, string>>,
  args: ReadonlyArray<string> = []
) =>
  Effect.acquireRelease(
    Effect.sync((): ChildProgram => {
      const child = spawn(process.execPath, [entry, ...args], {
        cwd: repositoryRoot,
        env: { ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const lines: Array<string> = []
      // Chunks split lines (and UTF-8 characters) anywhere: keep each stream's unfinished line.
      const collectLines = (stream: Readable | null) => {
        if (stream === null) return
        let partial = ""
        stream.setEncoding("utf8")
        stream.on("data", (text: string) => {
          const pieces = (partial + text).split("\n")
          partial = pieces.pop() ?? ""
          lines.push(...pieces.filter((line) => line !== ""))
        })
        stream.on("end", () => {
          if (partial !== "") lines.push(partial)
        })
      }
      collectLines(child.stdout)
      collectLines(child.stderr)
      const exit = new Promise<number | string>((resolve) =>
        child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
      )
      return {
        process: child,
        output: () => lines,
        waitForOutput: (text, timeout = "20 seconds") =>
          Effect.sync(() => lines.find((line) => line.includes(text))).pipe(
            Effect.repeat({ until: (line) => line !== undefined, schedule: Schedule.spaced("50 millis") }),
            Effect.map((line) => line!),
            Effect.timeout(timeout),
            Effect.orDie
          ),
        exited: Effect.promise(() => exit)
      }
    }),
    (program) => Effect.sync(() => program.process.exitCode === null && program.process.kill("SIGKILL"))
  )
