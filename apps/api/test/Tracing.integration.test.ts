import { tracingToExporter } from "@cuebx/observability"
import { rawRequest } from "@cuebx/testing"
import { assert, layer } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import { apiTestLayer } from "./support.ts"

const exporter = new InMemorySpanExporter()

layer(apiTestLayer().pipe(Layer.provide(tracingToExporter(exporter, "cuebx-api-test"))), { excludeTestServices: true })(
  "tracing",
  (it) => {
    it.effect("each HTTP request is a server span with the SQL it ran beneath it", () =>
      Effect.gen(function*() {
        exporter.reset()
        yield* rawRequest("GET", "/health", { headers: { "x-request-id": "traced-1" } })
        const spans = exporter.getFinishedSpans()
        const server = spans.find((span) =>
          span.attributes["http.request.method"] === "GET" && span.attributes["http.request_id"] === "traced-1"
        )
        assert.isDefined(server, `no server span among ${spans.map((span) => span.name).join(", ")}`)
        const sql = spans.filter((span) =>
          span.attributes["db.system.name"] === "postgresql" || span.name.includes("sql")
        )
        assert.isNotEmpty(sql, `no SQL span among ${spans.map((span) => span.name).join(", ")}`)
        const traceId = server!.spanContext().traceId
        const underRequest = sql.filter((span) => span.spanContext().traceId === traceId)
        assert.isNotEmpty(underRequest)
        assert.isTrue(underRequest.every((span) => descendsFrom(span, server!, spans)))
      }))
  }
)

const descendsFrom = (span: ReadableSpan, ancestor: ReadableSpan, all: ReadonlyArray<ReadableSpan>): boolean => {
  const parentId = span.parentSpanContext?.spanId
  if (parentId === undefined) return false
  if (parentId === ancestor.spanContext().spanId) return true
  const parent = all.find((candidate) => candidate.spanContext().spanId === parentId)
  return parent !== undefined && descendsFrom(parent, ancestor, all)
}
