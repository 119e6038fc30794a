/**
 * What a validation needs to know about its caller, cached in the process so the hot path reads
 * no row for it: API keys by their hash (any state: usability is decided per request, so an
 * expiry needs no event), each workspace's status and current subscription, each Career user's
 * current subscription. An entry is dropped when its change is announced (`api_key`, `workspace`,
 * `subscription`; a subscription's announcement names its owner or itself) and everything when
 * the change feed reconnects; entries are also refreshed after a minute, for deletions nobody
 * announces (an account purge).
 */
import { type PlanHolding, Subscriptions } from "@cuebx/billing"
import { OtpHmacSecret } from "@cuebx/config"
import type { WorkspaceStatus } from "@cuebx/contract"
import { type ChangeEvent, ChangeFeed } from "@cuebx/db"
import { type ApiKey, apiKeyHash, ApiKeys } from "@cuebx/workspaces"
import { Clock, Context, Effect, Layer, Option, Stream } from "effect"
import { AccountsRepo } from "./AccountsRepo.ts"
import type { PeriodBasis } from "./Periods.ts"
import { UsageSettings } from "./UsageSettings.ts"

/** A current subscription as usage sees it: which plan prices it, and how its periods run. */
export interface SubscriptionTerms {
  readonly subscriptionId: string
  readonly planId: string
  readonly period: PeriodBasis
}

export interface WorkspaceAccount {
  readonly workspaceId: string
  readonly status: WorkspaceStatus
  /** `null` without a current subscription. */
  readonly subscription: SubscriptionTerms | null
}

/** How usage sees a current subscription: its plan, and the basis of its periods. */
export const termsOf = (holding: PlanHolding): SubscriptionTerms => ({
  subscriptionId: holding.subscription.id,
  planId: holding.plan.id,
  period: {
    startedAt: holding.subscription.createdAt,
    currentPeriodStart: holding.subscription.currentPeriodStart,
    currentPeriodEnd: holding.subscription.currentPeriodEnd,
    paid: holding.plan.type === "paid"
  }
})

/** Entries older than this are loaded again, whatever was announced. */
const maxAgeMillis = 60_000

interface Cache<V> {
  get(key: string, now: number): { readonly value: V } | undefined
  epoch(): number
  /** Stores a value loaded from `loadedAt` on, unless an invalidation came meanwhile. */
  set(key: string, value: V, now: number, loadedAt: number): void
  drop(matches: (key: string, value: V) => boolean): void
  clear(): void
}

/** A bounded map whose loads only land if nothing was invalidated while they ran. */
const makeCache = <V>(maxEntries: number): Cache<V> => {
  const entries = new Map<string, { readonly value: V; readonly at: number }>()
  let epoch = 0
  return {
    get: (key: string, now: number) => {
      const entry = entries.get(key)
      return entry !== undefined && now - entry.at < maxAgeMillis ? entry : undefined
    },
    epoch: () => epoch,
    set: (key: string, value: V, now: number, loadedAt: number) => {
      if (loadedAt !== epoch) return
      if (entries.size >= maxEntries && !entries.has(key)) {
        const oldest = entries.keys().next()
        if (!oldest.done) entries.delete(oldest.value)
      }
      entries.set(key, { value, at: now })
    },
    drop: (matches: (key: string, value: V) => boolean) => {
      epoch++
      for (const [key, entry] of entries) {
        if (matches(key, entry.value)) entries.delete(key)
      }
    },
    clear: () => {
      epoch++
      entries.clear()
    }
  }
}

/** The cached value, or `load`'s, kept unless an invalidation happened meanwhile. */
const cached = <V>(cache: Cache<V>, key: string, load: Effect.Effect<V>): Effect.Effect<V> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const hit = cache.get(key, now)
    if (hit !== undefined) return Effect.succeed(hit.value)
    const epoch = cache.epoch()
    return Effect.tap(load, (value) => Effect.sync(() => cache.set(key, value, now, epoch)))
  })

export class UsageAccounts extends Context.Service<UsageAccounts, {
  /** The key a raw secret belongs to, in a live workspace, whatever its state. */
  apiKey(secret: string): Effect.Effect<Option.Option<ApiKey>>
  /** `None` when the workspace does not exist or was deleted. */
  workspace(workspaceId: string): Effect.Effect<Option.Option<WorkspaceAccount>>
  /** The user's current Career subscription; `null` when none is current. */
  careerSubscription(userId: string): Effect.Effect<SubscriptionTerms | null>
}>()("@cuebx/usage/UsageAccounts") {
  static readonly layer = Layer.effect(
    UsageAccounts,
    Effect.gen(function*() {
      const apiKeys = yield* ApiKeys
      const subscriptions = yield* Subscriptions
      const repo = yield* AccountsRepo
      const { cacheEntries } = yield* UsageSettings
      const hmacSecret = yield* OtpHmacSecret.config
      const keys = makeCache<Option.Option<ApiKey>>(cacheEntries)
      const workspaces = makeCache<Option.Option<WorkspaceAccount>>(cacheEntries)
      const careers = makeCache<SubscriptionTerms | null>(cacheEntries)

      const onChange = (event: ChangeEvent) =>
        Effect.sync(() => {
          if (event._tag === "Reset") {
            keys.clear()
            workspaces.clear()
            careers.clear()
            return
          }
          const { id, kind } = event
          switch (kind) {
            case "api_key":
              return keys.drop((_, key) => Option.isSome(key) && key.value.id === id)
            case "workspace":
              return workspaces.drop((workspaceId) => workspaceId === id)
            case "subscription":
              workspaces.drop((workspaceId, account) =>
                workspaceId === id || (Option.isSome(account) && account.value.subscription?.subscriptionId === id)
              )
              return careers.drop((userId, terms) => userId === id || terms?.subscriptionId === id)
          }
        })
      yield* (yield* (yield* ChangeFeed).subscribe).pipe(Stream.runForEach(onChange), Effect.forkScoped)

      return UsageAccounts.of({
        apiKey: (secret) => cached(keys, apiKeyHash(hmacSecret, secret), apiKeys.lookup(secret)),
        workspace: (workspaceId) =>
          cached(
            workspaces,
            workspaceId,
            Effect.gen(function*() {
              const status = yield* repo.workspaceStatus(workspaceId)
              if (Option.isNone(status)) return Option.none()
              const holding = yield* subscriptions.currentOfWorkspace(workspaceId)
              return Option.some({
                workspaceId,
                status: status.value,
                subscription: Option.match(holding, { onNone: () => null, onSome: termsOf })
              })
            })
          ),
        careerSubscription: (userId) =>
          cached(
            careers,
            userId,
            Effect.map(
              subscriptions.currentOfUser(userId),
              Option.match({ onNone: () => null, onSome: termsOf })
            )
          )
      })
    })
  )
}
