import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderGroups, folderOf, ManifestIndex, parseCsv, readManifest, readResults, toObservations, UsageError } from '../../src/analysis/inputs.js';
import type { PhotoResult } from '../../src/types.js';

const dir = mkdtempSync(join(tmpdir(), 'facetally-inputs-'));

describe('parseCsv', () => {
  it('handles quotes, escaped quotes, CRLF, BOM and blank lines', () => {
    const rows = parseCsv('\ufeffpath,group\r\n"a, b.jpg","x ""y"""\r\n\r\nc.jpg,z\n');
    expect(rows.map((r) => r.fields)).toEqual([['path', 'group'], ['a, b.jpg', 'x "y"'], ['c.jpg', 'z']]);
    expect(rows[2].line).toBe(4);
  });
  it('keeps newlines inside quoted fields and rejects unterminated quotes', () => {
    expect(parseCsv('a,"b\nc"\n').map((r) => r.fields)).toEqual([['a', 'b\nc']]);
    expect(() => parseCsv('a,"b\n')).toThrow(UsageError);
  });
});

describe('readManifest', () => {
  it('reads path, group and extra columns', () => {
    const f = join(dir, 'm.csv');
    writeFileSync(f, 'group,path,gender\nA,x/1.jpg,f\nB,x/2.jpg,m\nA,x/1.jpg,f\n');
    const m = readManifest(f);
    expect(m.columns).toEqual(['group', 'path', 'gender']);
    expect(m.entries).toHaveLength(2);
    expect(m.entries[1]).toMatchObject({ path: 'x/2.jpg', group: 'B', columns: { gender: 'm' } });
    const idx = new ManifestIndex(m, '/elsewhere');
    expect(idx.find(resolve(dir, 'x/2.jpg'))?.group).toBe('B');
    expect(idx.find('/elsewhere/x/1.jpg')?.group).toBe('A');
    expect(idx.photoPaths()).toEqual([resolve(dir, 'x/1.jpg'), resolve(dir, 'x/2.jpg')]);
  });
  it('reports problems with file and line', () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'path,grp\na,b\n');
    expect(() => readManifest(f)).toThrow(/"group" column/);
    writeFileSync(f, 'path,group\na.jpg,A\nb.jpg\n');
    expect(() => readManifest(f)).toThrow(/bad.csv:3: expected 2 fields/);
    writeFileSync(f, 'path,group\na.jpg,A\na.jpg,B\n');
    expect(() => readManifest(f)).toThrow(/two groups/);
    // The same photo spelt two ways: before, both entries were kept, the two-groups check was passed, and the
    // earlier spelling was later reported missing (exit 2).
    writeFileSync(f, 'path,group\na/x.jpg,A\n./a/x.jpg,B\n');
    expect(() => readManifest(f)).toThrow(/bad\.csv:3: \.\/a\/x\.jpg \(also listed as a\/x\.jpg\) is listed in two groups \("A" and "B"\)/);
    writeFileSync(f, 'path,group\na/x.jpg,A\n./a//x.jpg,A\nb/../a/y.jpg,B\n' + resolve(dir, 'a/y.jpg') + ',B\n');
    expect(readManifest(f).entries.map((e) => e.path)).toEqual(['a/x.jpg', 'b/../a/y.jpg']);
    expect(() => readManifest(join(dir, 'nope.csv'))).toThrow(/cannot read manifest/);
  });
});

describe('readResults', () => {
  it('reads tag JSONL and rejects other JSON', () => {
    const f = join(dir, 't.jsonl');
    writeFileSync(f, JSON.stringify({ path: 'a.jpg', width: 1, height: 1, faces: [], error: null }) + '\n\n');
    expect(readResults(f)).toHaveLength(1);
    writeFileSync(f, '{"foo": 1}\n');
    expect(() => readResults(f)).toThrow(/t.jsonl:1: path: Required; expected a photo record/);
    writeFileSync(f, 'nope\n');
    expect(() => readResults(f)).toThrow(/not JSON/);
    // A missing file or a folder is named in plain words, not as a raw errno.
    expect(() => readResults(join(dir, 'missing.jsonl'))).toThrow(`cannot read results ${join(dir, 'missing.jsonl')}: no such file`);
    expect(() => readResults(dir)).toThrow(`cannot read results ${dir}: it is a folder, give a file`);
  });
  it('refuses a decision that is not a JSON boolean, naming the line, the photo and the field', () => {
    const f = join(dir, 'd.jsonl');
    const face = (decisions: unknown) => ({ box: { x: 0, y: 0, width: 1, height: 1 }, score: 0.9, landmarks: [], attributes: {}, decisions });
    const rec = (decisions: unknown) => JSON.stringify({ path: 'a.jpg', width: 1, height: 1, faces: [face({ Male: true }), face(decisions)], error: null });
    // "false" and 1 are truthy: before validation they counted as present.
    writeFileSync(f, rec({ Male: false }) + '\n' + rec({ Male: 'false' }) + '\n');
    expect(() => readResults(f)).toThrow(/\/d\.jsonl:2 \(a\.jpg\): faces\.1\.decisions\.Male: Expected boolean, received string/);
    writeFileSync(f, rec({ Smiling: 1 }) + '\n');
    expect(() => readResults(f)).toThrow(/d\.jsonl:1 \(a\.jpg\): faces\.1\.decisions\.Smiling: Expected boolean, received number/);
    writeFileSync(f, rec(undefined) + '\n');
    expect(() => readResults(f)).toThrow(/faces\.1\.decisions: a face has no "decisions"/);
    writeFileSync(f, JSON.stringify({ path: 'b.jpg', faces: [{ score: null, decisions: {} }], error: null }) + '\n');
    expect(() => readResults(f)).toThrow(/d\.jsonl:1 \(b\.jpg\): faces\.0\.score: Expected number, received null/);
    writeFileSync(f, JSON.stringify({ path: 'c.jpg', faces: [], error: 'unreadable' }) + '\n');
    expect(() => readResults(f)).toThrow(/d\.jsonl:1 \(c\.jpg\): error: Expected object, received string/);
    // Valid records keep every field, including ones the schema does not name.
    writeFileSync(f, rec({ Male: false }).replace('"error":null', '"error":null,"extra":7') + '\n');
    const [r] = readResults(f);
    expect(r.faces[1].decisions).toEqual({ Male: false });
    expect((r as unknown as { extra: number }).extra).toBe(7);
    expect(r.faces[1].box).toEqual({ x: 0, y: 0, width: 1, height: 1 });
  });
});

describe('folders', () => {
  it('names groups after folders and disambiguates equal names', () => {
    expect(folderGroups(['a/1990s', 'b/2020s/']).map((g) => g.group)).toEqual(['1990s', '2020s']);
    expect(folderGroups(['a/x', 'b/x']).map((g) => g.group)).toEqual(['a/x', 'b/x']);
    expect(() => folderGroups(['a', 'a/'])).toThrow(/twice/);
  });
  it('refuses folders that lie inside one another (a photo would count in two groups), in either order', () => {
    expect(() => folderGroups(['gA', 'gA/x'])).toThrow(/the folders overlap: gA\/x lies inside gA/);
    expect(() => folderGroups(['photos/2020s/sub', 'photos'])).toThrow(/photos\/2020s\/sub lies inside photos/);
    // A shared prefix is not nesting.
    expect(folderGroups(['p/a', 'p/ab']).map((g) => g.group)).toEqual(['a', 'ab']);
  });
  it('finds the deepest folder containing a photo', () => {
    expect(folderOf('p/a/b/c.jpg', ['p/a', 'p/a/b', 'q'], '/r')).toBe('p/a/b');
    expect(folderOf('/r/q/z.png', ['p/a', 'q'], '/r')).toBe('q');
    expect(folderOf('other/z.png', ['p/a', 'q'], '/r')).toBeUndefined();
    expect(folderOf('p/ab/z.png', ['p/a'], '/r')).toBeUndefined();
  });
});

describe('toObservations', () => {
  const face = (score: number, male: boolean) => ({ box: { x: 0, y: 0, width: 1, height: 1 }, score, landmarks: [], attributes: {}, decisions: { Male: male, Smiling: true } });
  const photos: { photo: PhotoResult; assignment: { group: string; columns?: Record<string, string> } }[] = [
    { photo: { path: 'a', width: 1, height: 1, faces: [face(0.9, true), face(0.5, false)], error: null }, assignment: { group: 'A', columns: { decade: '1990s' } } },
    { photo: { path: 'b', width: null, height: null, faces: [], error: { code: 'decode_failed', message: 'b: bad' } }, assignment: { group: 'B' } },
    { photo: { path: 'c', width: 1, height: 1, faces: [face(0.95, false)], error: null }, assignment: { group: 'B', columns: { decade: '' } } },
  ];
  it('flattens faces, drops low scores, counts errors', () => {
    const { faces, summary } = toObservations(photos, { kind: 'none' }, 0.6, ['A', 'B']);
    expect(faces).toHaveLength(2);
    expect(summary).toMatchObject({ photos: { A: 1, B: 2 }, unreadable: { A: 0, B: 1 }, faces: { A: 1, B: 1 }, lowScoreFaces: 1 });
    expect(summary.errors[0]).toMatchObject({ path: 'b', code: 'decode_failed' });
  });
  it('derives the second factor from a column or a predicted attribute', () => {
    expect(toObservations(photos, { kind: 'column', column: 'decade' }, 0, ['A', 'B']).faces.map((f) => f.level)).toEqual(['1990s', '1990s', null]);
    expect(toObservations(photos, { kind: 'attribute', attribute: 'Male' }, 0, ['A', 'B']).faces.map((f) => f.level)).toEqual(['Male', 'not Male', 'not Male']);
    expect(() => toObservations(photos, { kind: 'attribute', attribute: 'Bald' }, 0, ['A', 'B'])).toThrow(/no decision for Bald/);
  });
});
