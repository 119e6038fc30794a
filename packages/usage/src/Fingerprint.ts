/**
 * The request fingerprint of the reference (§A.4), so its stored usage keeps matching: the HMAC
 * (key `request_fingerprint_v1`) of the canonical JSON of endpoint, method, payload hash, usage
 * estimate and feature key, written like Python's `json.dumps(sort_keys=True, separators=(",",
 * ":"))` with `ensure_ascii`. The API key and the client's address are not part of it.
 */
import type { UsageEstimate } from "@cuebx/contract"
import { createHmac } from "node:crypto"

export interface FingerprintInput {
  readonly endpoint: string
  readonly method: string
  readonly payloadHash: string
  readonly usageEstimate: UsageEstimate | null
  readonly featureKey: string
}

// Python's str.strip(): the characters str.isspace() accepts (U+FEFF is not one, U+001C–U+001F are).
const pythonSpace =
  "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
const surroundingSpace = new RegExp(`^${pythonSpace}+|${pythonSpace}+$`, "g")
const strip = (text: string) => text.replace(surroundingSpace, "")

/** `ensure_ascii`: everything outside printable ASCII as `\uXXXX` (JSON.stringify already escaped the controls). */
const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`
  )

/** The canonical text that is hashed; keys in sorted order. */
export const canonicalRequest = (input: FingerprintInput): string =>
  asciiJson({
    endpoint: strip(input.endpoint.toLowerCase()),
    feature_key: strip(input.featureKey.toLowerCase()),
    method: strip(input.method.toUpperCase()),
    payload_hash: input.payloadHash,
    usage_estimate: input.usageEstimate === null ? null : {
      input_chars: input.usageEstimate.input_chars ?? null,
      max_output_tokens: input.usageEstimate.max_output_tokens ?? null,
      model: input.usageEstimate.model ?? null
    }
  })

export const fingerprint = (input: FingerprintInput): string =>
  createHmac("sha256", "request_fingerprint_v1").update(canonicalRequest(input), "utf8").digest("hex")
