/**
 * Billing periods, the key of a quota: a paid subscription's current Stripe period, a free one's
 * 30 days counted from the subscription's start. When the stored period has ended (a renewal
 * webhook is late or lost) the periods roll on with the last known length, so credits always
 * reset on time; the next webhook's period then takes over.
 */
import { DateTime } from "effect"

export interface PeriodBasis {
  readonly startedAt: DateTime.Utc
  readonly currentPeriodStart: DateTime.Utc | null
  readonly currentPeriodEnd: DateTime.Utc | null
  readonly paid: boolean
}

export interface Period {
  readonly start: DateTime.Utc
  readonly end: DateTime.Utc
}

const freePeriodMillis = 30 * 24 * 60 * 60 * 1000

/** The period of `basis` that contains `now`: `anchor + k × length` for the whole `k` that fits. */
const rolled = (anchor: number, length: number, now: number): Period => {
  const start = anchor + Math.floor((now - anchor) / length) * length
  return { start: DateTime.makeUnsafe(start), end: DateTime.makeUnsafe(start + length) }
}

export const periodAt = (basis: PeriodBasis, now: DateTime.Utc): Period => {
  const at = DateTime.toEpochMillis(now)
  if (basis.paid && basis.currentPeriodStart !== null && basis.currentPeriodEnd !== null) {
    const start = DateTime.toEpochMillis(basis.currentPeriodStart)
    const length = DateTime.toEpochMillis(basis.currentPeriodEnd) - start
    if (length > 0) return rolled(start, length, at)
  }
  return rolled(DateTime.toEpochMillis(basis.startedAt), freePeriodMillis, at)
}
