export { RunDir } from './run-dir.ts';
