/**
 * A logger that keeps every structured log line in memory, for tests that assert what a
 * program logged (request ids, redaction, alerts).
 */
import { Layer, Logger } from "effect"

export interface LogLine {
  readonly message: unknown
  readonly level: string
  readonly annotations: Readonly<Record<string, unknown>>
}

export const captureLogs = () => {
  const lines: Array<LogLine> = []
  const logger = Logger.map(Logger.formatStructured, (line) => {
    lines.push({ message: line.message, level: line.level, annotations: line.annotations })
  })
  return { lines, layer: Logger.layer([logger]) as Layer.Layer<never> }
}
