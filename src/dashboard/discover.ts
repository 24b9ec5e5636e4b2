/**
 * Finds run directories under a root by the files they hold. Nested layouts are walked: a demo
 * holds a contamination probe, a spurious suite (whose runs/<variant>/ are training runs and
 * eval/…/<role>/ evaluations) and perplexity curves; each is a run of its own, with the
 * enclosing run as its parent. Checkpoint directories, dot-directories and symbolic links are
 * not entered (a link could lead outside the root).
 */
import { closeSync, type Dirent, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type RunKind =
  'grpo' | 'sft' | 'train' | 'eval' | 'contamination' | 'perplexity' | 'suite' | 'demo' | 'other';

export interface RunEntry {
  /** The directory relative to the root, '/'-separated ('.' for the root itself). */
  id: string;
  dir: string;
  kind: RunKind;
  parent: string | null;
}

const MAX_DEPTH = 8;
const SKIP = new Set(['checkpoints', 'node_modules']);

/** Reads the first bytes of a small file (to tell JSON schemas apart without parsing big files). */
function readHead(path: string, bytes = 512): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

function headHas(path: string, pattern: RegExp): boolean {
  try {
    return pattern.test(readHead(path));
  } catch {
    return false;
  }
}

/** A directory's kind from its entries, or null when it is no run. Training kinds are refined from config.yaml later. */
function classify(dir: string, entries: Dirent[]): RunKind | null {
  const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  const dirs = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
  if (
    files.has('demo.json') ||
    (files.has('grpo.yaml') && (dirs.has('contamination') || dirs.has('spurious')))
  )
    return 'demo';
  if (
    (files.has('summary.json') && headHas(join(dir, 'summary.json'), /"schema"\s*:\s*"rlvr-spurious\//)) ||
    (dirs.has('runs') && dirs.has('eval'))
  )
    return 'suite';
  if (
    files.has('metrics.jsonl') ||
    (files.has('config.yaml') && (files.has('samples.jsonl') || dirs.has('checkpoints')))
  )
    return 'train';
  if (files.has('results.json') || files.has('progress.config.json')) return 'eval';
  if (files.has('summary.json') && files.has('items.jsonl')) return 'contamination';
  if (files.has('perplexity.json')) return 'perplexity';
  for (const f of files)
    if (f.endsWith('.json') && headHas(join(dir, f), /^\s*\{\s*"schema"\s*:\s*"rlvr-/)) return 'other';
  return null;
}

export function discoverRuns(root: string): RunEntry[] {
  const runs: RunEntry[] = [];
  const walk = (dir: string, depth: number, parent: string | null) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable or vanished meanwhile
    }
    const kind = classify(dir, entries);
    const id = relative(root, dir).split(sep).join('/') || '.';
    if (kind) runs.push({ id, dir, kind, parent });
    if (depth >= MAX_DEPTH) return;
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })))
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name))
        walk(join(dir, e.name), depth + 1, kind ? id : parent);
  };
  walk(root, 0, null);
  return runs;
}
