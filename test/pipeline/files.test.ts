import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodeError, decodeImageFile } from '../../src/image/decode.js';
import { listPhotos, type ListedInput } from '../../src/pipeline/files.js';
import { errorRecord } from '../../src/pipeline/tag.js';
import { tempDir } from '../image/fixtures.js';

/** Collect a listing, failing (instead of hanging) if it ever runs away. */
async function collect(inputs: string[], cap = 1000): Promise<ListedInput[]> {
  const out: ListedInput[] = [];
  for await (const item of listPhotos(inputs)) {
    out.push(item);
    if (out.length > cap) throw new Error(`listPhotos produced more than ${cap} items: recursion not bounded`);
  }
  return out;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root: string;
/** root-relative path → colour of the 6x4 JPEG written there. */
const photos: Record<string, string> = {
  'b.jpg': '#ff0000',
  'a.png': '#00ff00',
  'Z.webp': '#0000ff',
  'sub/c.JPG': '#ffff00',
  'sub/deeper/d.jpeg': '#00ffff',
  'x.jpg/inside.png': '#ff00ff',
  'Fotos für Öma/ä b.jpg': '#808080',
};

beforeAll(async () => {
  tmp = await tempDir();
  root = join(tmp.dir, 'root');
  for (const [rel, colour] of Object.entries(photos)) {
    const p = join(root, rel);
    await mkdir(join(p, '..'), { recursive: true });
    const img = sharp({ create: { width: 6, height: 4, channels: 3, background: colour } });
    const ext = rel.slice(rel.lastIndexOf('.') + 1).toLowerCase();
    await writeFile(p, await (ext === 'png' ? img.png() : ext === 'webp' ? img.webp({ lossless: true }) : img.jpeg({ quality: 95 })).toBuffer());
  }
  await writeFile(join(root, 'sub', 'notes.txt'), 'not a photo\n');
  await writeFile(join(root, 'sub', 'README'), 'no extension\n');
  await symlink('..', join(root, 'sub', 'loop')); // sub/loop → root: a cycle
  await symlink('.', join(root, 'sub', 'deeper', 'here')); // deeper/here → deeper itself
  await symlink('missing-target.jpg', join(root, 'sub', 'broken.jpg'));
});
afterAll(() => tmp?.cleanup());

describe('listPhotos', () => {
  it('recurses in sorted order, keeps image extensions (any case), reports loops, broken links and folders named like photos', async () => {
    const items = await collect([root]);
    const rows = items.map((i) => [relative(root, i.path), i.problem?.code ?? 'ok']);
    expect(rows).toEqual([
      ['Fotos für Öma/ä b.jpg', 'ok'],
      ['Z.webp', 'ok'],
      ['a.png', 'ok'],
      ['b.jpg', 'ok'],
      ['sub/broken.jpg', 'not_found'],
      ['sub/c.JPG', 'ok'],
      ['sub/deeper/d.jpeg', 'ok'],
      ['sub/deeper/here', 'symlink_loop'],
      ['sub/loop', 'symlink_loop'],
      ['x.jpg', 'not_a_file'],
      ['x.jpg/inside.png', 'ok'],
    ]);
    expect(items.every((i) => i.root === root)).toBe(true);
    const loop = items.find((i) => i.path.endsWith('loop'))!;
    expect(loop.problem?.message).toContain(loop.path);
    expect(items.find((i) => i.path.endsWith('x.jpg'))!.problem?.message).toMatch(/directory/);
  });

  it('takes files named explicitly whatever their extension, in the order given, each its own root', async () => {
    const notes = join(root, 'sub', 'notes.txt');
    const readme = join(root, 'sub', 'README');
    const missing = join(root, 'nope.jpg');
    const b = join(root, 'b.jpg');
    const items = await collect([notes, b, readme, missing]);
    expect(items).toEqual([
      { path: notes, root: notes },
      { path: b, root: b },
      { path: readme, root: readme },
      { path: missing, root: missing }, // reported by the decoder, with its stable code
    ]);
    await expect(decodeImageFile(notes)).rejects.toMatchObject({ code: 'unsupported_format' });
    await expect(decodeImageFile(missing)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lists a photo once when the inputs name it twice, spelled differently, or inside a folder input', async () => {
    const b = join(root, 'b.jpg');
    const sub = join(root, 'sub');
    const bAgain = join(root, 'sub', '..', 'b.jpg');
    expect(await collect([b, bAgain, b])).toEqual([{ path: b, root: b }]);
    const once = await collect([sub]);
    expect(once.length).toBeGreaterThan(0);
    // The folder twice, and a file and a subfolder inside it (before and after it): same listing as the folder once.
    const c = join(sub, 'c.JPG');
    expect(await collect([c, sub, join(sub, 'deeper'), sub + '/'])).toEqual(once);
    // Two different files stay two.
    expect((await collect([b, c])).map((i) => i.path)).toEqual([b, c]);
  });

  it('an explicit symlink loop as input → symlink_loop, no recursion', async () => {
    const self = join(tmp.dir, 'selfloop');
    await symlink('selfloop', self);
    expect(await collect([self])).toEqual([{ path: self, root: self, problem: { code: 'symlink_loop', message: `${self}: symbolic link loop` } }]);
    // A folder given through the cycle link still lists finitely.
    const viaLoop = await collect([join(root, 'sub', 'loop')]);
    expect(viaLoop.length).toBeLessThan(20);
    expect(viaLoop.filter((i) => i.problem?.code === 'symlink_loop').length).toBeGreaterThan(0);
  });

  it('a link to a folder that contains the input (e.g. ..) does not lead out of the input folder', async () => {
    const outer = join(tmp.dir, 'outer');
    const inner = join(outer, 'inner');
    await mkdir(inner, { recursive: true });
    await writeFile(join(outer, 'outside.jpg'), await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).jpeg().toBuffer());
    await writeFile(join(inner, 'inside.jpg'), await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).jpeg().toBuffer());
    await symlink('..', join(inner, 'up'));
    const items = await collect([inner]);
    expect(items.map((i) => [relative(inner, i.path), i.problem?.code ?? null])).toEqual([
      ['inside.jpg', null],
      ['up', 'symlink_loop'],
    ]);
  });

  it('paths with spaces and non-ASCII characters decode, and every listed item turns into a record', async () => {
    const items = await collect([join(root, 'Fotos für Öma')]);
    expect(items.map((i) => i.path)).toEqual([join(root, 'Fotos für Öma', 'ä b.jpg')]);
    const img = await decodeImageFile(items[0].path);
    expect([img.width, img.height, img.data.length]).toEqual([6, 4, 72]);
    const [r, g, b] = img.data;
    for (const v of [r, g, b]) expect(Math.abs(v - 128)).toBeLessThanOrEqual(2);

    // What tagFiles does without models: problems become records directly, decode failures via errorRecord.
    const records = [];
    for (const item of await collect([root])) {
      if (item.problem) records.push({ path: item.path, width: null, height: null, faces: [], error: item.problem });
      else {
        try {
          const im = await decodeImageFile(item.path);
          records.push({ path: item.path, width: im.width, height: im.height, faces: [], error: null });
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          records.push(errorRecord(item.path, err));
        }
      }
    }
    const ok = records.filter((r) => r.error === null);
    expect(ok.map((r) => [r.width, r.height])).toEqual(Array(7).fill([6, 4]));
    expect(records.filter((r) => r.error).map((r) => r.error!.code).sort()).toEqual(['not_a_file', 'not_found', 'symlink_loop', 'symlink_loop']);
  });
});
