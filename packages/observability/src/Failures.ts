/**
 * Failures described for logs and error details without leaking what they carried.
 */

/**
 * Why an HTTP request got no answer (refused, reset, timed out), from the client error and its
 * causes, without the request itself: its headers and body hold keys and secrets.
 */
export const describeRequestFailure = (error: { readonly message: string; readonly cause?: unknown }): string => {
  const cause = error.cause
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : ""
    return `${cause.message}${inner}`
  }
  return error.message
}
