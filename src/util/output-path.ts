/**
 * Output locations checked before any work starts, so a mistyped or unwritable `--out` fails in
 * a second with a message naming it instead of after an hour of sampling.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.ts';

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  EMFILE: 'too many open files',
};

/** A filesystem error about `path` caused by the environment (full disk, permissions, a file where a directory should be) as a UserError; anything else unchanged. */
export function fsErrorToUserError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === undefined || !(code in FS_REASONS)) return err;
  return new UserError(`cannot write ${path}: ${FS_REASONS[code]}`);
}

function statOrNull(path: string, what: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new UserError(`${what}: a part of the path is a file, not a directory`);
    }
    throw err;
  }
}

/** The directory that creating `path` would write into: its nearest existing ancestor, which must be a writable directory. */
function checkCreatable(path: string, what: string): void {
  let dir = dirname(resolve(path));
  let info = statOrNull(dir, `${what} ${path}`);
  while (info === null) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
    info = statOrNull(dir, `${what} ${path}`);
  }
  if (info !== null && !info.isDirectory()) throw new UserError(`${what} ${path}: ${dir} is a file, not a directory`);
  checkWritable(dir, `${what} ${path}`);
}

function checkWritable(dir: string, what: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new UserError(`${what}: cannot write in ${dir}: ${FS_REASONS[code] ?? code}`);
  }
}

/** `path` can be written as a file: not a directory, and its directory exists or can be created, writably. */
export function checkOutputFile(path: string, flag: string): void {
  const info = statOrNull(path, `${flag} ${path}`);
  if (info?.isDirectory()) throw new UserError(`${flag} ${path} is a directory; give a file path`);
  if (info !== null) checkWritable(dirname(resolve(path)), `${flag} ${path}`);
  else checkCreatable(path, flag);
}

/** `path` is (or can be created as) a writable directory. */
export function checkOutputDir(path: string, flag: string): void {
  const info = statOrNull(path, `${flag} ${path}`);
  if (info !== null && !info.isDirectory()) throw new UserError(`${flag} ${path} is a file, not a directory`);
  if (info !== null) checkWritable(path, `${flag} ${path}`);
  else checkCreatable(path, flag);
}
