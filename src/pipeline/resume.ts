/**
 * Append-only output and `--resume`: every record is one line handed to the operating system in one write
 * before the next photo's record, so a process killed at any moment (SIGKILL included) leaves complete lines plus
 * at most one torn last line; resuming drops that torn line and skips the photos already written.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, realpathSync, truncateSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { hashKey } from './pool.js';
import { provenanceDifferences, type Provenance } from './provenance.js';

/** What an earlier, interrupted run left in its output file. */
export interface ResumeState {
  /**
   * Real paths (a record's relative `path` resolved against the working directory of the run that wrote it,
   * `provenance.cwd`, then symbolic links resolved) that already have a record → how many records (a path named
   * twice in the inputs has two). So `photos/a.jpg`, `./photos/../photos/a.jpg` and `/home/me/photos/a.jpg` are
   * one photo whatever folder either run was started from.
   */
  done: Map<string, number>;
  /** Content-hash key → first path, so that `duplicate_of` keeps pointing at photos of the earlier run. */
  firstByHash: Map<string, string>;
  /** Complete records found. */
  records: number;
  /** Bytes of a torn last line that were cut off (0 when the file ended cleanly). */
  droppedBytes: number;
}

/** Every facetally record line starts with these bytes (`path` is the first key written). */
const RECORD_START = '{"path":';

/**
 * Where the complete lines of `path` end and what follows them.
 * @returns `size` in bytes, `keep` = bytes up to and including the last newline (0 when there is none), and
 *   `tailHead` = the first bytes after it (at most {@link RECORD_START}'s length).
 * @throws the fs error (ENOENT when the file is missing).
 */
function tornTail(path: string): { size: number; keep: number; tailHead: string } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    let keep = 0;
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (nl >= 0) {
        keep = start + nl + 1;
        break;
      }
      end = start;
    }
    const head = Buffer.alloc(Math.min(RECORD_START.length, size - keep));
    readSync(fd, head, 0, head.length, keep);
    return { size, keep, tailHead: head.toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/**
 * Read the JSON-lines output of an earlier run to resume it: streams the complete lines, collecting the photos
 * already done and their content hashes, then cuts off a torn last line (what a killed run leaves), but only
 * after every complete line was read as a facetally record and only when the torn line starts like one, so a
 * file that facetally did not write is refused untouched. A missing file is an empty state (nothing done yet).
 * @param expected the provenance of the run about to continue the file: every record must carry an equal one
 *   (same facetally version, model and detector hashes, settings; see provenanceDifferences).
 * @throws Error naming the file (and line) when a complete line is not a JSON record with a `path`, or the
 *   last line without a newline does not start like a record (the file was not written by `facetally tag`, or
 *   was edited), or (with `expected`) a record has no provenance or another one, naming each difference,
 *   rather than guessing or mixing; nothing in the file is changed then.
 */
export async function readResumeState(path: string, expected?: Provenance): Promise<ResumeState> {
  const state: ResumeState = { done: new Map(), firstByHash: new Map(), records: 0, droppedBytes: 0 };
  let tail: ReturnType<typeof tornTail>;
  try {
    tail = tornTail(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw new Error(`${path}: cannot open the output to resume (${(err as Error).message})`);
  }
  const { size, keep, tailHead } = tail;
  if (keep < size && !(RECORD_START.startsWith(tailHead) || tailHead.startsWith(RECORD_START))) {
    throw new Error(`${path}: its last line is not a facetally record (it starts "${tailHead}"); cannot resume from a file that was not written by facetally tag (--format jsonl); the file was left as it is`);
  }
  if (keep > 0) await readRecords(path, keep, state, expected);
  if (keep < size) {
    truncateSync(path, keep);
    state.droppedBytes = size - keep;
  }
  return state;
}

/** Add the records of the first `bytes` bytes of `path` (complete lines) to `state`. @throws as readResumeState. */
async function readRecords(path: string, bytes: number, state: ResumeState, expected?: Provenance): Promise<void> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8', end: bytes - 1 }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let rec: { path?: unknown; sha256?: unknown; provenance?: Provenance };
    try {
      rec = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${lineNo}: not a complete JSON record; cannot resume from a file that was not written by facetally tag (--format jsonl)`);
    }
    if (typeof rec?.path !== 'string') throw new Error(`${path}:${lineNo}: record has no "path"; cannot resume from this file`);
    if (expected) {
      if (!rec.provenance || typeof rec.provenance !== 'object') {
        throw new Error(`${path}:${lineNo}: record has no "provenance" (written by a facetally that did not record provenance yet, or edited), so its settings and model cannot be checked; cannot resume it: write to a new file (the file was left as it is)`);
      }
      const diff = provenanceDifferences(rec.provenance, expected);
      if (diff.length > 0) {
        throw new Error(`${path}:${lineNo}: made with other settings or another model than this run (${diff.join('; ')}); resuming would mix them in one file: rerun with the file's settings, or write to a new file (the file was left as it is)`);
      }
    }
    const key = doneKey(rec.path, typeof rec.provenance?.cwd === 'string' ? rec.provenance.cwd : undefined);
    state.done.set(key, (state.done.get(key) ?? 0) + 1);
    state.records++;
    if (typeof rec.sha256 === 'string') {
      const key = hashKey(rec.sha256);
      if (!state.firstByHash.has(key)) state.firstByHash.set(key, rec.path);
    }
  }
}

/**
 * The key of {@link ResumeState.done}: the path resolved against `cwd` (default: this process's working
 * directory), then its real path when it exists (symbolic links followed).
 */
function doneKey(path: string, cwd?: string): string {
  const abs = cwd ? resolve(cwd, path) : resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/** True when the earlier run has a record of `path` (however it is spelled: compared as real paths). */
export function hasRecord(state: ResumeState, path: string): boolean {
  return state.done.has(doneKey(path));
}

/**
 * The `skip` test for a resumed run: true for a listed path that already has a record (compared as real
 * paths), consuming one record of it, so that the set of done paths shrinks as the listing meets them again.
 */
export function skipDone(state: ResumeState): (path: string) => boolean {
  return (listed) => {
    const path = doneKey(listed);
    const n = state.done.get(path);
    if (n === undefined) return false;
    if (n <= 1) state.done.delete(path);
    else state.done.set(path, n - 1);
    return true;
  };
}

/**
 * An output file written one complete line at a time: each {@link write} is a synchronous `write(2)` (looped
 * until every byte is written) of the whole record, so the record is in the kernel before the next photo's
 * record is produced and survives the process being killed. Not fsynced (a power cut can still lose the last
 * records, or tear the last line, which `--resume` then drops).
 */
export class LineWriter {
  private fd: number | null;

  /** Open `path` for appending (`append`: true) or truncate it (false). */
  constructor(
    readonly path: string,
    append: boolean,
  ) {
    this.fd = openSync(path, append ? 'a' : 'w');
  }

  /** Write `text` (one or more complete lines, ending with a newline). */
  write(text: string): void {
    if (this.fd === null) throw new Error(`${this.path}: writer is closed`);
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
  }

  /** Close the file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
