import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFolders, outputFolderProblem } from '../../src/pipeline/out-dir.js';

const root = mkdtempSync(join(tmpdir(), 'facetally-outdir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('output folders', () => {
  it('makeFolders creates every missing level and accepts an existing folder', () => {
    const deep = join(root, 'a', 'b', 'c');
    makeFolders(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeFolders(deep); // already there: no error
    expect(outputFolderProblem(join(root, 'x', 'y'))).toBeNull();
    expect(existsSync(join(root, 'x', 'y'))).toBe(true);
  });

  it('a file in the path is refused with a plain reason', () => {
    const file = join(root, 'plain.txt');
    writeFileSync(file, 'x');
    expect(() => makeFolders(join(file, 'sub'))).toThrow(/ENOTDIR/);
    expect(outputFolderProblem(file)).toBe(`${file} is a file; give a folder`);
    expect(outputFolderProblem(join(file, 'sub'))).toBe(`cannot create the folder ${join(file, 'sub')}: a part of the path is a file, not a folder`);
  });

  // Node 20's mkdirSync(..., { recursive: true }) spins forever on /proc/<missing>/...; this must return at once.
  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))('a folder under /proc is refused, not looped on', () => {
    expect(outputFolderProblem('/proc/facetally-no-such/out')).toBe('cannot create the folder /proc/facetally-no-such/out: no folder can be made there');
  });
});
