/**
 * Environment every core service process starts with (dev, tests, benchmarks, Kubernetes), read by Bun's
 * allocator before any of our code runs, so it cannot be set from inside the process.
 *
 * mimalloc hands freed pages back to the kernel 10 ms after they empty (madvise from its scavenger thread).
 * A service's heap churns per request and per Kafka batch, so it gave back and faulted in the same pages
 * over and over: under checkout load that was 4–5 % of the machine's CPU in `mi-scavenger` and page faults
 * (perf record -a, `npm run bench -- checkout`). Never purging keeps each process at its peak heap, which it
 * reuses; its memory limit is sized for that peak anyway.
 */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = { MIMALLOC_PURGE_DELAY: "-1" };
