import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file and directory under `root` with its size, modification time and inode: equal snapshots mean nothing was written. */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const st = statSync(p);
      out[p] = `${st.size}:${st.mtimeMs}:${st.ino}`;
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}
