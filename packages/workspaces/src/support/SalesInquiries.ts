/**
 * Contact-sales inquiries: each is stored in `sales_requests` and, in the same transaction,
 * enqueued as an email to the sales team (`sales_inquiry_emails`). Validating the form and rate
 * limiting it are the HTTP handler's job; following the inquiry up is the sales team's.
 */
import { Outbox } from "@cuebx/broker"
import { transactionWith } from "@cuebx/db"
import { SalesInquiryMessage } from "@cuebx/email"
import { Context, DateTime, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { SalesInquiriesRepo, type StoredInquiry } from "./SalesInquiriesRepo.ts"
import { SalesNotificationEmail } from "./SupportConfig.ts"

/** The contact-sales form as the contract decoded it: names trimmed, email trimmed and lowercased. */
export interface SalesInquiry {
  readonly firstName: string
  readonly lastName: string
  readonly email: string
  /** `null` or `""` when the requester wrote nothing; both are stored as `NULL`. */
  readonly message: string | null
}

export class SalesInquiries extends Context.Service<SalesInquiries, {
  /** Stores the inquiry and, when a sales address is configured, enqueues its email with it. */
  submit(inquiry: SalesInquiry): Effect.Effect<StoredInquiry>
}>()("@cuebx/workspaces/SalesInquiries") {
  static readonly layer = Layer.effect(
    SalesInquiries,
    Effect.gen(function*() {
      const inTransaction = transactionWith(yield* SqlClient.SqlClient)
      const repo = yield* SalesInquiriesRepo
      const outbox = yield* Outbox
      const salesTeam = yield* SalesNotificationEmail

      const submit = Effect.fn("SalesInquiries.submit")(function*(inquiry: SalesInquiry) {
        const message = inquiry.message === "" ? null : inquiry.message
        return yield* inTransaction(Effect.gen(function*() {
          const stored = yield* repo.insert({ ...inquiry, message })
          const id = stored.id
          yield* Effect.annotateCurrentSpan({ "sales_inquiry.id": id })
          if (Option.isSome(salesTeam)) {
            yield* outbox.enqueue(SalesInquiryMessage, {
              to: salesTeam.value,
              inquiry_id: id,
              first_name: inquiry.firstName,
              last_name: inquiry.lastName,
              email: inquiry.email,
              message,
              received_at: DateTime.formatIso(stored.createdAt)
            })
          } else {
            yield* Effect.logWarning(
              "Sales inquiry stored without notifying anyone: neither SALES_NOTIFICATION_EMAIL nor ADMIN_ALERT_EMAIL is set",
              { inquiryId: id }
            )
          }
          return stored
        }))
      })

      return SalesInquiries.of({ submit })
    })
  ).pipe(Layer.provide(SalesInquiriesRepo.layer))
}
