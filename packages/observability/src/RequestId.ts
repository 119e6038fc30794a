/**
 * The id of the HTTP request (or message) being handled. The API sets it per request (echoing a
 * valid incoming `X-Request-ID`); logs, error bodies and published messages carry it.
 */
import { Context } from "effect"

export const RequestId = Context.Reference<string | undefined>("@cuebx/observability/RequestId", {
  defaultValue: () => undefined
})

const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/

/** The incoming id when it is safe to echo and log, else a fresh UUID. */
export const requestIdFrom = (incoming: string | undefined): string =>
  incoming !== undefined && validRequestId.test(incoming) ? incoming : crypto.randomUUID()
