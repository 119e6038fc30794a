/**
 * A linear scan of a JSON body before `JSON.parse` sees it, refusing nesting deeper than
 * `maxDepth` and any one string (key or value) longer than `maxStringLength`. The size limit
 * alone lets a 1 MB body nest 500,000 levels (recursion in decoding, in formatting the 422 and
 * in echoing its input) or carry one field a 422 would echo whole.
 */

export interface JsonBodyLimits {
  readonly maxDepth: number
  /** In UTF-16 code units of the raw JSON text, escapes included. */
  readonly maxStringLength: number
}

/** Far above any body the contract describes (a few levels, strings of a few thousand characters). */
export const defaultJsonBodyLimits: JsonBodyLimits = { maxDepth: 32, maxStringLength: 65_536 }

const quote = 0x22
const backslash = 0x5c
const openBrace = 0x7b
const openBracket = 0x5b
const closeBrace = 0x7d
const closeBracket = 0x5d

/** Why the body is refused, as the 413's `detail`; `undefined` when it is within the limits. */
export const jsonBodyRefusal = (text: string, limits: JsonBodyLimits): string | undefined => {
  const tooLong = `Request body has a string longer than ${limits.maxStringLength} characters.`
  let depth = 0
  let stringStart = -1
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (stringStart >= 0) {
      if (code === backslash) index++
      else if (code === quote) {
        if (index - stringStart - 1 > limits.maxStringLength) return tooLong
        stringStart = -1
      }
    } else if (code === quote) {
      stringStart = index
    } else if (code === openBrace || code === openBracket) {
      if (++depth > limits.maxDepth) return `Request body is nested too deeply (limit ${limits.maxDepth} levels).`
    } else if (code === closeBrace || code === closeBracket) {
      depth--
    }
  }
  return stringStart >= 0 && text.length - stringStart - 1 > limits.maxStringLength ? tooLong : undefined
}
