/**
 * Stripe's wire format for the fake Stripe: form bodies with bracket notation decoded into
 * objects (`items[0][price]=p` → `{items: [{price: "p"}]}`), Stripe-shaped ids and error bodies,
 * and webhook deliveries signed exactly as Stripe signs them (`t=…,v1=…`, HMAC-SHA256 over
 * `t.payload`, through the `stripe` package's own test helper).
 */
import { randomBytes } from "node:crypto"
import Stripe from "stripe"
import type { FakeResponse } from "./FakeHttpServer.ts"

export type FormValue = string | FormObject | Array<FormValue>
export interface FormObject {
  [key: string]: FormValue
}

const segmentsOf = (key: string): Array<string> => {
  const first = key.indexOf("[")
  if (first === -1) return [key]
  const head = key.slice(0, first)
  const rest = [...key.slice(first).matchAll(/\[([^\]]*)\]/g)].map((match) => match[1]!)
  return [head, ...rest]
}

/** Decodes `application/x-www-form-urlencoded` with Stripe's bracket notation into nested values. */
export const parseStripeForm = (body: string): FormObject => {
  const root: FormObject = {}
  for (const [key, value] of new URLSearchParams(body)) {
    const path = segmentsOf(key)
    let node: FormObject | Array<FormValue> = root
    path.forEach((segment, index) => {
      const last = index === path.length - 1
      const container = node as Record<string, FormValue>
      const slot = segment === "" && Array.isArray(node) ? String(node.length) : segment
      if (last) {
        container[slot] = value
        return
      }
      const nextIsIndex = /^\d*$/.test(path[index + 1]!)
      container[slot] ??= nextIsIndex ? [] : {}
      node = container[slot] as FormObject | Array<FormValue>
    })
  }
  return root
}

/** A Stripe-looking id: `cus_…`, `sub_…`. */
export const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`

export interface StripeErrorSpec {
  readonly status: number
  readonly type: string
  readonly message: string
  readonly code?: string
  readonly declineCode?: string
  readonly param?: string
}

/** An error answer as Stripe sends it, with its `Request-Id`. */
export const stripeError = (spec: StripeErrorSpec): FakeResponse => ({
  status: spec.status,
  headers: { "request-id": stripeId("req") },
  body: {
    error: {
      type: spec.type,
      message: spec.message,
      ...(spec.code === undefined ? {} : { code: spec.code }),
      ...(spec.declineCode === undefined ? {} : { decline_code: spec.declineCode }),
      ...(spec.param === undefined ? {} : { param: spec.param })
    }
  }
})

export const cardDeclined: StripeErrorSpec = {
  status: 402,
  type: "card_error",
  message: "Your card was declined.",
  code: "card_declined",
  declineCode: "generic_decline",
  param: "payment_method"
}

export const serverError: StripeErrorSpec = {
  status: 500,
  type: "api_error",
  message: "An unknown error occurred on Stripe's end."
}

export const missing = (kind: string, id: string): FakeResponse =>
  stripeError({
    status: 404,
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${kind}: '${id}'`
  })

/** The `Stripe-Signature` header Stripe would send for `payload` at `timestamp` (Unix seconds). */
export const signPayload = (payload: string, secret: string, timestamp?: number): string =>
  Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestamp === undefined ? {} : { timestamp })
  })
