/**
 * The output contract of `tag` (and crop, eval): an input photo is never an output, --resume matches photos from any
 * working directory and refuses other settings, every record carries its provenance, progress lines when stderr is
 * not a terminal, Ctrl-C reports what is safely written (exit 130), CSV landmark columns by keypoint, crops join to
 * tag records, eval and sample exit 2 on an unreadable image and say so, crop/compare/sample refuse an --out inside an input. Runs the built command line (`npm test` builds dist/ first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANDMARK_NAMES } from '../../src/types.js';
import { collectProvenance } from '../../src/report/run-compare.js';
import { repoRoot } from '../helpers/shared.js';

const bin = join(repoRoot, 'bin', 'facetally.js');
const example = join(repoRoot, 'examples', 'astronaut.png');
const root = mkdtempSync(join(tmpdir(), 'facetally-contract-'));
const N = 6;

function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd ?? root, encoding: 'utf8', env: { ...process.env, ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l !== '');

/**
 * Send SIGINT to `child` as soon as `ready()` holds (polled every 5 ms; a throw, e.g. a file not yet created, counts
 * as not ready) or the child has already exited: an observable event, not a guessed delay.
 */
function sigintWhen(child: ChildProcess, ready: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      let ok = false;
      try {
        ok = ready();
      } catch {
        ok = false;
      }
      if (ok || child.exitCode !== null) {
        clearInterval(t);
        child.kill('SIGINT');
        resolve();
      }
    }, 5);
  });
}
const sha16 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);

beforeAll(async () => {
  const photos = join(root, 'work', 'photos');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < N - 1; i++) await sharp(example).resize(128 + 32 * i).jpeg({ quality: 90 }).toFile(join(photos, `p${i}.jpg`));
  writeFileSync(join(photos, 'z-broken.png'), 'not a png');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tag output contract (needs dist/)', () => {
  it('never writes over an input photo, even with --overwrite (named, in a folder input, or a hard link)', () => {
    const victim = join(root, 'victim.png');
    copyFileSync(example, victim);
    const before = readFileSync(victim);
    const r = run(['tag', victim, '--out', victim, '--overwrite']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out .*victim\.png is also an input photo/);
    linkSync(victim, join(root, 'hardlink.png'));
    const h = run(['tag', victim, '--out', join(root, 'hardlink.png'), '--overwrite']);
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(/is also an input photo/);
    const inFolder = run(['tag', 'work/photos', '--out', 'work/photos/p0.jpg', '--overwrite']);
    expect(inFolder.code).toBe(1);
    expect(inFolder.stderr).toMatch(/lies in the input folder work\/photos and is named like a photo/);
    expect(readFileSync(victim).equals(before)).toBe(true);
    expect(readFileSync(join(root, 'work/photos/p0.jpg')).length).toBeGreaterThan(1000);
  });

  it('every record carries its provenance: version, model hashes, settings; unreadable photos have null size', () => {
    const out = join(root, 'prov.jsonl');
    const r = run(['tag', 'work/photos', '--out', out, '--min-face', '40', '-q', '-w', '2']);
    expect(r.code, r.stderr).toBe(2);
    const recs = lines(out).map((l) => JSON.parse(l));
    expect(recs).toHaveLength(N);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    for (const rec of recs) {
      expect(Object.keys(rec).at(-1)).toBe('provenance');
      expect(rec.provenance).toEqual({
        facetally: pkg.version,
        model: 'celeba-attributes',
        model_sha256: sha16(join(repoRoot, 'models/celeba-attributes/attributes.onnx')),
        thresholds_sha256: sha16(join(repoRoot, 'models/celeba-attributes/attributes.json')),
        detector_sha256: expect.stringMatching(/^[0-9a-f]{16}$/),
        settings: { score_threshold: 0.7, min_face: 40, max_pixels: 100, verify_threshold: 0.6, iou_threshold: 0.3, quality_rule: null },
        cwd: root,
      });
    }
    const broken = recs.find((x) => x.path.endsWith('z-broken.png'));
    expect([broken.width, broken.height, broken.error.code]).toEqual([null, null, 'unsupported_format']);
    expect(collectProvenance(recs)).toEqual({ provenances: [(({ cwd, ...rest }) => rest)(recs[0].provenance)], recordsWithout: 0 });
  });

  it('--resume matches photos from another working directory and spelled differently: each photo once', () => {
    const out = join(root, 'resume.jsonl');
    const r = run(['tag', 'work/photos', '--out', out, '-q', '-w', '2']);
    expect(r.code).toBe(2);
    const full = readFileSync(out, 'utf8');
    writeFileSync(out, lines(out).slice(0, 2).join('\n') + '\n'); // an interrupted run: 2 of 6 done
    const elsewhere = join(root, 'work');
    const again = run(['tag', relative(elsewhere, join(root, 'work/photos')), '--out', out, '--resume', '-w', '2'], { cwd: elsewhere });
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/resumed: 2 photos were already in the output/);
    expect(again.stderr).toMatch(/facetally tag: 4 photos/);
    const paths = lines(out).map((l) => JSON.parse(l).path);
    expect(paths).toHaveLength(N);
    const twice = run(['tag', join(root, 'work/photos'), '--out', out, '--resume'], { cwd: '/' });
    expect(twice.stderr).toMatch(/facetally tag: 0 photos/);
    expect(lines(out)).toHaveLength(N);
    expect(lines(out).slice(0, 2).join('\n')).toBe(full.split('\n').slice(0, 2).join('\n'));
  });

  it('--resume refuses a file made with other settings, naming each difference, and leaves it as it is', () => {
    const out = join(root, 'settings.jsonl');
    run(['tag', example, '--out', out, '-q']);
    const before = readFileSync(out, 'utf8');
    const r = run(['tag', example, join(root, 'work/photos/p1.jpg'), '--out', out, '--resume', '--score-threshold', '0.3', '--min-face', '200']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/made with other settings or another model than this run \(--score-threshold 0\.7 in the file, --score-threshold 0\.3 now; --min-face 32 in the file, --min-face 200 now\)/);
    expect(readFileSync(out, 'utf8')).toBe(before);
    writeFileSync(join(root, 'old.jsonl'), '{"path":"a.jpg","width":1,"height":1,"faces":[],"error":null}\n');
    const old = run(['tag', example, '--out', join(root, 'old.jsonl'), '--resume']);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/old\.jsonl:1: record has no "provenance"/);
  });

  it('CSV: landmark columns named by keypoint, provenance columns last; "no photos found" does not list .svg', () => {
    const r = run(['tag', example, '--format', 'csv']);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n').map((l) => l.split(','));
    expect(header.slice(11, 23)).toEqual(LANDMARK_NAMES.flatMap((k) => [`${k}_x`, `${k}_y`]));
    expect(header.slice(11, 13)).toEqual(['right_eye_x', 'right_eye_y']);
    expect(header.slice(-11)).toEqual(['facetally_version', 'model', 'model_sha256', 'thresholds_sha256', 'detector_sha256', 'score_threshold', 'min_face', 'max_pixels', 'verify_threshold', 'iou_threshold', 'quality_rule']);
    expect(row.slice(-6)).toEqual(['0.7', '32', '100', '0.6', '0.3', '']);
    mkdirSync(join(root, 'empty'), { recursive: true });
    const none = run(['tag', join(root, 'empty')]);
    expect(none.stderr).toMatch(/no photos found in .*empty \(looked for \.jpg /);
    expect(none.stderr).not.toMatch(/\.svg/);
  });

  it('progress lines when stderr is not a terminal (FACETALLY_PROGRESS_SECONDS=0: one per photo), for tag and crop', () => {
    const r = run(['tag', 'work/photos', '--out', join(root, 'progress.jsonl'), '-w', '1'], { env: { FACETALLY_PROGRESS_SECONDS: '0' } });
    const progress = r.stderr.split('\n').filter((l) => /^facetally tag: \d+ photos?, /.test(l) && /s elapsed$/.test(l));
    expect(progress.map((l) => Number(/^facetally tag: (\d+) photos?/.exec(l)![1]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.at(-1)).toMatch(/, 1 error, /);
    const c = run(['crop', 'work/photos/p2.jpg', 'work/photos/p3.jpg', '--out', join(root, 'crops-progress')], { env: { FACETALLY_PROGRESS_SECONDS: '0' } });
    expect(c.stderr).toMatch(/^facetally crop: 1 photo, 1 face, 0 errors, .* s elapsed$/m);
    expect(c.stderr).toMatch(/^facetally crop: 2 photos, 2 faces, 0 errors, .* s elapsed$/m);
  });

  it('crops.jsonl carries the face index and box of the tag record of the same photo', () => {
    const c = run(['crop', example, '--out', join(root, 'crops'), '-q']);
    expect(c.code).toBe(0);
    const crop = JSON.parse(lines(join(root, 'crops', 'crops.jsonl'))[0]);
    const rec = JSON.parse(run(['tag', example, '-q']).stdout);
    expect(crop.face).toBe(0);
    expect(crop.box).toEqual(rec.faces[0].box);
    expect(crop.score).toBe(rec.faces[0].score);
    const help = run(['crop', '--help']);
    expect(help.stdout).not.toMatch(/--model/);
    expect(help.stdout).toMatch(/--min-face/);
  });

  // Repeated: exiting while a worker thread was inside onnxruntime used to abort about half the runs (exit 134,
  // "terminate called after throwing an instance of 'Napi::Error'") after printing the message.
  it('Ctrl-C: exit 130 and the count of records safely written, which is what the file holds (3 runs, one with --overwrite)', async () => {
    const many = join(root, 'many');
    mkdirSync(many, { recursive: true });
    for (let i = 0; i < 40; i++) copyFileSync(join(root, 'work/photos', `p${i % 5}.jpg`), join(many, `m${String(i).padStart(2, '0')}.jpg`));
    for (const [k, overwrite] of [false, false, true].entries()) {
      const out = join(root, `interrupted${k}.jsonl`);
      if (overwrite) writeFileSync(out, 'old output\n');
      const args = [bin, 'tag', many, '--out', out, '-w', '1', ...(overwrite ? ['--overwrite'] : [])];
      const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // SIGINT once the first record is in the file (not after a guessed delay).
      await sigintWhen(child, () => readFileSync(out, 'utf8').startsWith('{') && lines(out).length >= 1);
      expect(await exited, stderr).toBe(130);
      expect(stderr).not.toMatch(/Napi|terminate called/);
      const m = /interrupted; (\d+) records? (?:is|are) safely in .*interrupted\d\.jsonl; rerun the same command with --resume( \(instead of --overwrite\))? to tag only the rest\n/.exec(stderr);
      expect(m, stderr).not.toBeNull();
      expect(m![2] !== undefined, stderr).toBe(overwrite); // "(instead of --overwrite)" only when --overwrite was given
      expect(lines(out)).toHaveLength(Number(m![1]));
      expect(Number(m![1])).toBeGreaterThanOrEqual(1);
      expect(Number(m![1])).toBeLessThan(40);
    }
  });

  it('crop on Ctrl-C says how many photos have complete crops (what the manifest holds) and dies of SIGINT', async () => {
    const many = join(root, 'many'); // made by the tag Ctrl-C test above: 40 photos, one face each
    const out = join(root, 'crop-interrupted');
    const manifest = join(out, 'crops.jsonl');
    const child = spawn(process.execPath, [bin, 'crop', many, '-o', out, '-q'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await sigintWhen(child, () => lines(manifest).length >= 1);
    expect(await exited, stderr).toBe('SIGINT'); // the shell reports 128 + 2 = 130
    const m = /facetally crop: interrupted; the crops and manifest lines of (\d+) photos? are complete in .*crop-interrupted; crop cannot resume: rerun with --overwrite/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const sources = new Set(lines(manifest).map((l) => JSON.parse(l).source));
    expect(sources.size).toBe(Number(m![1]));
    expect(Number(m![1])).toBeLessThan(40);
  });

  it('eval exits 2 when an image could not be read (and still writes its report)', () => {
    const imgs = join(root, 'eval-images');
    mkdirSync(imgs, { recursive: true });
    copyFileSync(join(repoRoot, 'examples', 'grace_hopper.jpg'), join(imgs, '000001.jpg'));
    writeFileSync(join(imgs, '000002.jpg'), 'broken');
    const names = readFileSync(join(repoRoot, 'models/celeba-attributes/attributes.json'), 'utf8');
    const attrs: string[] = JSON.parse(names).attributes;
    const row = (f: string) => `${f} ${attrs.map((_, k) => (k % 2 ? '1' : '-1')).join(' ')}`;
    writeFileSync(join(root, 'labels.txt'), `2\n${attrs.join(' ')}\n${row('000001.jpg')}\n${row('000002.jpg')}\n`);
    const r = run(['eval', '--labels', join(root, 'labels.txt'), '--images', imgs, '--format', 'json', '--out', join(root, 'eval.json')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/1 image could not be read/);
    expect(JSON.parse(readFileSync(join(root, 'eval.json'), 'utf8')).unreadable).toBe(1);
  });

  it('crop, compare and sample refuse an --out folder that is an input folder or lies inside one (real paths), exit 1, nothing written', () => {
    const gB = join(root, 'work', 'gB');
    mkdirSync(gB, { recursive: true });
    copyFileSync(join(root, 'work/photos/p0.jpg'), join(gB, 'q0.jpg'));
    symlinkSync(join(root, 'work', 'photos'), join(root, 'photos-link'));
    const listing = (d: string) => readdirSync(d, { recursive: true }).map(String).sort();
    const before = { a: listing(join(root, 'work/photos')), b: listing(gB) };
    const crop = run(['crop', 'work/photos', '--out', 'work/photos', '-q']);
    expect(crop.code, crop.stderr).toBe(1);
    expect(crop.stderr).toMatch(/--out work\/photos is the input folder work\/photos; write the output to a folder outside the inputs/);
    // A symlink to the folder and a `..` spelling are the same folder.
    const viaLink = run(['crop', 'work/photos', '--out', 'photos-link/crops', '-q']);
    expect(viaLink.code, viaLink.stderr).toBe(1);
    expect(viaLink.stderr).toMatch(/--out photos-link\/crops lies inside the input folder work\/photos/);
    const compare = run(['compare', 'work/photos', 'work/gB', '--out', 'work/x/../gB/report', '-q']);
    expect(compare.code, compare.stderr).toBe(1);
    expect(compare.stderr).toMatch(/--out work\/x\/\.\.\/gB\/report lies inside the input folder work\/gB/);
    const sample = run(['sample', 'work/photos', 'work/gB', '--out', 'photos-link', '-q']);
    expect(sample.code, sample.stderr).toBe(1);
    expect(sample.stderr).toMatch(/--out photos-link is the input folder work\/photos/);
    // A manifest's photo: --out may not be the folder that holds it.
    writeFileSync(join(root, 'groups.csv'), 'path,group\nwork/photos/p0.jpg,a\nwork/gB/q0.jpg,b\n');
    const manifest = run(['compare', '--manifest', 'groups.csv', '--out', 'work/gB', '-q']);
    expect(manifest.code, manifest.stderr).toBe(1);
    expect(manifest.stderr).toMatch(/--out work\/gB is the folder that holds the input photo .*q0\.jpg/);
    expect({ a: listing(join(root, 'work/photos')), b: listing(gB) }).toEqual(before);
    expect(existsSync(join(root, 'work/x'))).toBe(false);
  });

  it('sample exits 2 and says why when a photo could not be read', () => {
    const gC = join(root, 'work', 'gC');
    mkdirSync(gC, { recursive: true });
    copyFileSync(join(root, 'work/photos/p1.jpg'), join(gC, 'r0.jpg'));
    writeFileSync(join(gC, 'bad.jpg'), 'this is text, not a JPEG\n');
    const gA = join(root, 'work', 'gA');
    mkdirSync(gA, { recursive: true });
    copyFileSync(join(root, 'work/photos/p2.jpg'), join(gA, 's0.jpg'));
    const r = run(['sample', 'work/gA', 'work/gC', '--out', 'sC', '--attributes', 'Smiling']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/facetally sample: 1 photo could not be read; their faces are not in the sample/);
    expect(JSON.parse(readFileSync(join(root, 'sC', 'sample.json'), 'utf8')).unreadablePhotos).toBe(1);
  });
});
