// Entry of a pretraining shard thread: a worker does not inherit the parent's `--import tsx` (nor
// tsx's API registration), so it registers tsx itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./shard-worker.ts');
