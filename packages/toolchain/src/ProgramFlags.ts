/**
 * The `node` flags every CueBX program runs with. Left alone, V8 sizes its heap for the machine
 * (about a quarter of its memory) and lets garbage pile up to hundreds of MB under load before it
 * collects; the API's live heap under full load is about 55 MB. A smaller young generation and an
 * old-generation limit of `HEAP_LIMIT_MB` (256 by default) keep the API's RSS under 200 MB at
 * full load at no measurable cost in throughput. A program that needs more than the limit stops
 * (out of memory) and is restarted by whatever supervises it: raise the limit for large
 * deployments.
 */
export const defaultHeapLimitMb = 256

export const programNodeFlags = (env: Readonly<Record<string, string | undefined>> = process.env) => {
  const limit = Number(env["HEAP_LIMIT_MB"] ?? defaultHeapLimitMb)
  const heapLimitMb = Number.isSafeInteger(limit) && limit >= 64 ? limit : defaultHeapLimitMb
  return ["--max-semi-space-size=8", `--max-old-space-size=${heapLimitMb}`]
}
