/**
 * Handler of the public support group: the contact-sales form. Once the body is valid, three
 * inquiries an hour per (lowercased) email and route, then `SalesInquiries` stores and emails it.
 */
import { CuebxApi } from "@cuebx/contract"
import { RequestLimits } from "@cuebx/ratelimit"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { SalesInquiries } from "./SalesInquiries.ts"

export const supportMessages = {
  inquiryReceived: "Thank you for your inquiry. Our sales team will contact you shortly."
} as const

export const supportLimits = {
  contactSales: { limit: 3, window: "1 hour" }
} as const

export const SupportHttp = HttpApiBuilder.group(
  CuebxApi,
  "support",
  Effect.fn(function*(handlers) {
    const inquiries = yield* SalesInquiries
    const limits = yield* RequestLimits

    return handlers.handle("contactSales", ({ payload }) =>
      Effect.gen(function*() {
        yield* limits.byEmail(payload.email, "support.contactSales", supportLimits.contactSales)
        const receipt = yield* inquiries.submit({
          firstName: payload.first_name,
          lastName: payload.last_name,
          email: payload.email,
          message: payload.message ?? null
        })
        return { id: receipt.id, message: supportMessages.inquiryReceived, status: receipt.status }
      }))
  })
)
