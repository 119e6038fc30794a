/**
 * OpenTelemetry tracing through `@effect/opentelemetry`. With `OTEL_EXPORTER_OTLP_ENDPOINT` set,
 * spans (HTTP requests, SQL statements, every `Effect.fn`) are batched to `<endpoint>/v1/traces`
 * over OTLP/HTTP; without it nothing is exported, and the OpenTelemetry SDK is not even loaded
 * (it is imported on demand: a program without tracing does not carry it in memory).
 */
import { AppInfo } from "@cuebx/config"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option } from "effect"

export const TracingSettings = Config.all({
  endpoint: Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")),
  serviceName: Config.option(Config.String("OTEL_SERVICE_NAME"))
})

const tracesUrl = (endpoint: string) => `${endpoint.replace(/\/+$/, "")}/v1/traces`

const sdk = Effect.promise(async () => {
  const [NodeSdk, traceBase] = await Promise.all([
    import("@effect/opentelemetry/NodeSdk"),
    import("@opentelemetry/sdk-trace-base")
  ])
  return { NodeSdk, traceBase }
})

/** Tracing for one program (`cuebx-api`, `cuebx-worker`, ...), exported only when configured. */
export const tracingLive = (program: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const settings = yield* TracingSettings
    if (Option.isNone(settings.endpoint)) return Layer.empty
    const app = yield* AppInfo
    const url = tracesUrl(settings.endpoint.value)
    const { NodeSdk, traceBase } = yield* sdk
    const { OTLPTraceExporter } = yield* Effect.promise(() => import("@opentelemetry/exporter-trace-otlp-http"))
    return NodeSdk.layer(() => ({
      resource: {
        serviceName: Option.getOrElse(settings.serviceName, () => program),
        serviceVersion: app.version,
        attributes: { "deployment.environment": app.environment }
      },
      spanProcessor: new traceBase.BatchSpanProcessor(new OTLPTraceExporter({ url }))
    }))
  }))

/** Tracing into a given exporter, span by span (tests use an in-memory exporter). */
export const tracingToExporter = (exporter: SpanExporter, serviceName: string) =>
  Layer.unwrap(Effect.map(sdk, ({ NodeSdk, traceBase }) =>
    NodeSdk.layer(() => ({
      resource: { serviceName },
      spanProcessor: new traceBase.SimpleSpanProcessor(exporter)
    }))))
