/**
 * OpenTelemetry tracing through `@effect/opentelemetry`. With `OTEL_EXPORTER_OTLP_ENDPOINT` set,
 * spans (HTTP requests, SQL statements, every `Effect.fn`) are batched to `<endpoint>/v1/traces`
 * over OTLP/HTTP; without it nothing is exported.
 */
import { AppInfo } from "@cuebx/config"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option } from "effect"

export const TracingSettings = Config.all({
  endpoint: Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")),
  serviceName: Config.option(Config.String("OTEL_SERVICE_NAME"))
})

const tracesUrl = (endpoint: string) => `${endpoint.replace(/\/+$/, "")}/v1/traces`

/** Tracing for one program (`cuebx-api`, `cuebx-worker`, ...), exported only when configured. */
export const tracingLive = (program: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const settings = yield* TracingSettings
    if (Option.isNone(settings.endpoint)) return Layer.empty
    const app = yield* AppInfo
    const url = tracesUrl(settings.endpoint.value)
    return NodeSdk.layer(() => ({
      resource: {
        serviceName: Option.getOrElse(settings.serviceName, () => program),
        serviceVersion: app.version,
        attributes: { "deployment.environment": app.environment }
      },
      spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url }))
    }))
  }))

/** Tracing into a given exporter, span by span (tests use an in-memory exporter). */
export const tracingToExporter = (exporter: SpanExporter, serviceName: string) =>
  NodeSdk.layer(() => ({
    resource: { serviceName },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))
