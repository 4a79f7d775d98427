/**
 * Environment every core service process starts with (dev, tests, benchmarks, Kubernetes). Bun reads it
 * before any of our code runs, so it cannot be set from inside the process. Both settings were measured
 * under checkout load with `perf record -a` beside `npm run bench -- checkout`.
 *
 * - MIMALLOC_PURGE_DELAY=-1: mimalloc handed freed pages back to the kernel 10 ms after they emptied, and a
 *   service's heap churns per request and per Kafka batch, so it gave back and faulted in the same pages over
 *   and over: 4–5 % of the machine in `mi-scavenger` and page faults. Never purging keeps each process at its
 *   peak heap, which it reuses; its memory limit is sized for that peak anyway.
 * - BUN_JSC_useFTLJIT=0: JavaScriptCore's top tier kept recompiling the hot I/O paths (pg, Kysely, the Kafka
 *   protocol) minutes into a run, each compile taking hundreds of ms: 7.5 % of the machine in JIT threads.
 *   These services wait on sockets, not on arithmetic; the DFG tier below it runs them about as fast, and
 *   the whole checkout cost 8 % less CPU per order without it.
 */
export const RUNTIME_ENV: Readonly<Record<string, string>> = {
  MIMALLOC_PURGE_DELAY: "-1",
  BUN_JSC_useFTLJIT: "0",
};
