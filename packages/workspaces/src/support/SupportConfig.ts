/**
 * Where contact-sales inquiries are emailed: `SALES_NOTIFICATION_EMAIL`, else `ADMIN_ALERT_EMAIL`.
 * Unset or blank means nobody is notified (inquiries are still stored); a value that is not an
 * address fails the configuration at startup rather than every inquiry later.
 */
import { SalesInquiryPayload } from "@cuebx/email"
import { Config, Option, Schema, SchemaTransformation } from "effect"

// The same check the queue's payload applies to `to`, so an accepted address is always enqueueable.
const isAddress = Schema.is(SalesInquiryPayload.fields.to)

const BlankOrAddress = Schema.String.pipe(
  Schema.decodeTo(
    Schema.String.check(
      Schema.makeFilter((value: string) => value === "" || isAddress(value) || "value is not an email address")
    ),
    SchemaTransformation.trim()
  )
)

const notificationAddress = (name: string) =>
  Config.option(Config.schema(BlankOrAddress, name)).pipe(
    Config.map(Option.filter((address) => address !== ""))
  )

/** The sales team's address, if any. */
export const SalesNotificationEmail: Config.Config<Option.Option<string>> = notificationAddress(
  "SALES_NOTIFICATION_EMAIL"
).pipe(
  Config.flatMap((sales) => Option.isSome(sales) ? Config.succeed(sales) : notificationAddress("ADMIN_ALERT_EMAIL"))
)
