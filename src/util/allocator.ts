/**
 * glibc malloc settings the CLI starts with: no mmap'd chunks and no trimming, so memory a large
 * graph frees is reused by the next run instead of going back to the kernel. On this kind of VM a
 * page handed back and touched again costs a fault and a zeroing (the host reclaims it), and a
 * 0.5B training step frees and re-touches ~6 GB (its [tokens × vocabulary] tensors alone
 * are 0.6 GB each): its forward + backward went from 24.3 to 17.6 s, at up to +0.5 GiB of peak RSS
 * (docs/parts/performance.md). glibc reads them once, before any JavaScript runs, so they are set
 * on bin/rlvr.mjs's shebang line (`env -S`); a test keeps that line equal to this table. Running
 * `node bin/rlvr.mjs` directly starts with glibc's defaults.
 */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_MAX_: '0',
  MALLOC_TRIM_THRESHOLD_: String(2 ** 36),
};

/** `env` without the allocator settings: for a reference process measured as its users run it. */
export function withoutAllocatorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !(key in ALLOCATOR_ENV)));
}
