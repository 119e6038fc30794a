/**
 * The `node` flags every CueBX program runs with. Left alone, V8 sizes its heap for the machine
 * (about a quarter of its memory) and lets garbage pile up to hundreds of MB under load before it
 * collects; the API's live heap under full load is about 55 MB. Semi-spaces of 32 MB (smaller than
 * V8 picks on a large machine) and an old-generation limit of `HEAP_LIMIT_MB` (256 by default)
 * keep the API's RSS near 230 MB at full load instead of 290-380 MB; the garbage collector then
 * takes about 11% of its busy time instead of 8.5% (with 8 MB semi-spaces, 15% for 190 MB: the
 * trade is there to tune). A program that needs more than the limit stops (out of memory) and is
 * restarted by whatever supervises it: raise the limit for large deployments. A value below 64 or
 * not a whole number is ignored.
 */
export const defaultHeapLimitMb = 256

export const programNodeFlags = (env: Readonly<Record<string, string | undefined>> = process.env) => {
  const limit = Number(env["HEAP_LIMIT_MB"] ?? defaultHeapLimitMb)
  const heapLimitMb = Number.isSafeInteger(limit) && limit >= 64 ? limit : defaultHeapLimitMb
  return ["--max-semi-space-size=32", `--max-old-space-size=${heapLimitMb}`]
}
