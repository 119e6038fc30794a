/**
 * How many failed admin sign-ins are tolerated before further attempts are refused with 429:
 * per client address, and (higher, since a refusal there locks out every address) per username,
 * each over a sliding window.
 */
import { Config, Duration, Schema } from "effect"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

export const AdminLoginLimits = Config.all({
  failuresPerAddress: Config.schema(PositiveInt, "ADMIN_LOGIN_MAX_FAILURES_PER_IP").pipe(Config.withDefault(10)),
  failuresPerUsername: Config.schema(PositiveInt, "ADMIN_LOGIN_MAX_FAILURES_PER_USERNAME").pipe(
    Config.withDefault(30)
  ),
  window: Config.Duration("ADMIN_LOGIN_FAILURE_WINDOW").pipe(Config.withDefault(Duration.minutes(15)))
})
export type AdminLoginLimits = Config.Success<typeof AdminLoginLimits>
