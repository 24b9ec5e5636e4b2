#!/usr/bin/env -S MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 node
// The shebang sets glibc's allocator settings (src/util/allocator.ts says why); glibc reads them before any JavaScript runs.
// The CLI is TypeScript run through tsx's loader, so a clone works without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
