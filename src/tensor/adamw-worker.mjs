// Entry of an AdamW helper thread: a worker does not inherit the parent's `--import tsx` (nor tsx's
// API registration), so it registers tsx itself before loading the TypeScript helper.
import { register } from 'tsx/esm/api';

register();
await import('./adamw-worker.ts');
