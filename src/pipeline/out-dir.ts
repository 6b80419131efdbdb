/**
 * Output folders checked before any work is done: a folder that cannot be created or written is refused with a
 * plain reason (not a raw errno after minutes of tagging).
 */

import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Why a folder cannot be used for output, as a plain reason; null when it can. Creates the folder when missing. */
export function outputFolderProblem(dir: string): string | null {
  let st;
  try {
    st = statSync(dir);
  } catch {
    st = null;
  }
  if (st && !st.isDirectory()) return `${dir} is a file; give a folder`;
  try {
    makeFolders(dir);
  } catch (err) {
    return `cannot create the folder ${dir}: ${plainErrno(err)}`;
  }
  // access(W_OK) is not enough (root ignores mode bits, read-only mounts): write and remove a probe file.
  const probe = join(dir, `.facetally-write-test-${process.pid}`);
  try {
    accessSync(dir, constants.W_OK);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    return `cannot write into the folder ${dir}: ${plainErrno(err)}`;
  }
  return null;
}

/**
 * `mkdir -p`: create `dir` and its missing parents, one at a time. Not `mkdirSync(dir, { recursive: true })`, which
 * in Node 20 loops forever at full CPU where a parent refuses new entries with ENOENT (e.g. `/proc/x`: the kernel's
 * process folder exists but no folder can be made in it).
 * @throws the fs error (ENOENT, EACCES, ENOTDIR, ...) of the first folder that cannot be made.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(m).isDirectory()) throw err;
    }
  }
}

/**
 * Check an output folder before any work: it must be (or be creatable as) a writable folder.
 * @param emptyUnless when given, an existing non-empty folder is refused unless this is true (e.g. `--overwrite`)
 * @throws Error with a plain reason naming the folder (`--out DIR: ...`)
 */
export function checkOutputFolder(dir: string, o: { emptyUnless?: boolean; remedy?: string } = {}): void {
  if (o.emptyUnless === false) {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      entries = [];
    }
    if (entries.length > 0) throw new Error(`--out ${dir} is not empty (${entries.length} entries); ${o.remedy ?? 'add --overwrite to write into it anyway, or give another folder'}`);
  }
  const problem = outputFolderProblem(dir);
  if (problem) throw new Error(`--out ${dir}: ${problem}`);
}

/** "permission denied", "read-only file system", ... for a Node error; its message otherwise. */
export function plainErrno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  const plain: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    ENOTDIR: 'a part of the path is a file, not a folder',
    ENOENT: 'no folder can be made there',
    EEXIST: 'a file of that name is in the way',
  };
  return (code && plain[code]) ?? (err as Error)?.message ?? String(err);
}
