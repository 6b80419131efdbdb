import { spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CELEBA_ATTRIBUTES } from '../../src/attributes/names.js';
import { repoRoot } from '../helpers/shared.js';

const bin = join(repoRoot, 'bin', 'facetally.js');
const example = join(repoRoot, 'examples', 'astronaut.png');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('facetally command line (needs `npm run build`; `npm test` builds first)', () => {
  it('dist/ is built', () => {
    expect(existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))).toBe(true);
  });

  it('--help on every command documents the exit codes', () => {
    for (const args of [['--help'], ['tag', '--help'], ['crop', '--help'], ['draw', '--help'], ['sample', '--help'], ['compare', '--help'], ['eval', '--help'], ['serve', '--help']]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Exit codes/);
    }
  });

  it('bad usage exits 1 with a message', () => {
    const r = run(['tag']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing required argument/);
    const r2 = run(['tag', example, '--score-threshold', '3']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/expected a number in \[0, 1\]/);
    const r3 = run(['eval', '--celeba', join(tmpdir(), 'facetally-no-such-celeba')]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/--celeba \S+facetally-no-such-celeba: no such folder/);
  });

  it('tag writes one JSON record per photo and exit 2 when a photo is unreadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-cli-'));
    copyFileSync(example, join(dir, 'a.png'));
    writeFileSync(join(dir, 'b.jpg'), 'this is not a JPEG');
    const r = run(['tag', dir]);
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0].path).toBe(join(dir, 'a.png'));
    expect([lines[0].width, lines[0].height]).toEqual([512, 512]);
    expect(lines[0].faces).toHaveLength(1);
    expect(Object.keys(lines[0].faces[0].attributes)).toEqual([...CELEBA_ATTRIBUTES]);
    expect(lines[0].error).toBeNull();
    expect(lines[1].faces).toEqual([]);
    expect(lines[1].error.code).toBe('unsupported_format');
    expect(lines[1].error.message).toContain('b.jpg');
    // The summary counts in words, singular for one.
    expect(r.stderr).toMatch(/^facetally tag: 2 photos, 1 face, 1 error, 0 duplicates in [\d.]+ s/m);
    expect(r.stderr).toMatch(/unsupported_format: 1$/m);
  });

  it('tag --out FILE.csv writes CSV without --format; an explicit --format jsonl still wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-cli-'));
    const csv = join(dir, 'faces.csv');
    expect(run(['tag', example, '--out', csv]).code).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/^path,sha256,duplicate_of,width,height,face,score,/);
    const jsonl = join(dir, 'records.CSV');
    expect(run(['tag', example, '--out', jsonl, '--format', 'jsonl']).code).toBe(0);
    expect(JSON.parse(readFileSync(jsonl, 'utf8').trim()).path).toBe(example);
  });

  it('tag --format csv writes one row per face with probabilities and decisions', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'facetally-cli-')), 'faces.csv');
    const r = run(['tag', example, '--format', 'csv', '--out', out]);
    expect(r.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows).toHaveLength(2);
    const header = rows[0].split(',');
    expect(header.slice(0, 7)).toEqual(['path', 'sha256', 'duplicate_of', 'width', 'height', 'face', 'score']);
    expect(rows[1].split(',')[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(header).toContain('Smiling');
    expect(header).toContain('Smiling_decision');
    const row = rows[1].split(',');
    expect(row[header.indexOf('face')]).toBe('0');
    // The astronaut smiles (expected.json): a decision that is not 1 is an error, whatever it is.
    expect(row[header.indexOf('Smiling_decision')]).toBe('1');
    // Every value of the row is the JSON record's, column by column.
    const json = JSON.parse(run(['tag', example]).stdout.trim());
    const f = json.faces[0];
    const cell = (name: string) => row[header.indexOf(name)];
    expect([cell('path'), cell('sha256'), cell('width'), cell('height')]).toEqual([json.path, json.sha256, String(json.width), String(json.height)]);
    expect([cell('score'), cell('box_x'), cell('box_y'), cell('box_width'), cell('box_height')].map(Number)).toEqual([f.score, f.box.x, f.box.y, f.box.width, f.box.height]);
    // The 12 keypoint columns follow box_height (x, y per keypoint, in the record's order).
    const lm = row.slice(header.indexOf('box_height') + 1, header.indexOf('box_height') + 13).map(Number);
    expect(lm).toEqual(f.landmarks.flat());
    for (const a of CELEBA_ATTRIBUTES) {
      expect(cell(a), a).toBe(f.attributes[a].toFixed(4));
      expect(cell(`${a}_decision`), a).toBe(f.decisions[a] ? '1' : '0');
    }
    expect([cell('error_code'), cell('error_message')]).toEqual(['', '']);
  });

  it('draw writes a PNG of the photo size; crop writes 178x218 crops and a manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-cli-'));
    const png = join(dir, 'o.png');
    const r = run(['draw', example, '--out', png]);
    expect(r.code).toBe(0);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([512, 512, 'png']);
    const c = run(['crop', join(repoRoot, 'examples'), '--out', join(dir, 'crops')]);
    expect(c.code).toBe(0);
    const manifest = readFileSync(join(dir, 'crops', 'crops.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(manifest.map((m) => m.crop)).toEqual(['astronaut.png__face0.png', 'grace_hopper.jpg__face0.png']);
    const cm = await sharp(join(dir, 'crops', manifest[0].crop)).metadata();
    expect([cm.width, cm.height]).toEqual([178, 218]);
    // A second run into the same folder would cut the manifest of the first: refused (exit 1, file untouched)
    // unless --overwrite; a file as --out is refused with a reason, not an errno.
    const before = readFileSync(join(dir, 'crops', 'crops.jsonl'), 'utf8');
    const again = run(['crop', example, '--out', join(dir, 'crops')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/crops\.jsonl already exists \(\d+ bytes\) from an earlier crop run; add --overwrite/);
    expect(readFileSync(join(dir, 'crops', 'crops.jsonl'), 'utf8')).toBe(before);
    const over = run(['crop', example, '--out', join(dir, 'crops'), '--overwrite', '-q']);
    expect(over.code).toBe(0);
    expect(readFileSync(join(dir, 'crops', 'crops.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    const withModel = run(['crop', example, '--out', join(dir, 'c2'), '--model', '/nonexistent']);
    expect(withModel.code).toBe(1);
    expect(withModel.stderr).toMatch(/crop does not run the attribute model, so --model has no effect/);
    const onFile = run(['crop', example, '--out', png]);
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toMatch(/o\.png is a file; give a folder/);
    // An --out that cannot be created is refused before any model loads, in plain words (not "ENOTDIR ... mkdir").
    // (compare's groups lie beside, not around, --out: an --out inside a group folder is refused for that reason first.)
    for (const cmd of [['crop', example], ['compare', join(repoRoot, 'examples'), join(dir, 'crops')]]) {
      const r = run([...cmd, '--out', join(png, 'sub')]);
      expect(r.code, cmd[0]).toBe(1);
      expect(r.stderr, cmd[0]).toMatch(/--out .*o\.png\/sub: cannot create the folder .*: a part of the path is a file, not a folder/);
      expect(r.stderr, cmd[0]).not.toMatch(/ENOTDIR|mkdir/);
    }
  });

  it('quality filters: tag marks, crop skips, compare leaves out and counts (astronaut: eyes 45 px apart, grace_hopper: 84 px)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-cli-'));
    const examples = join(repoRoot, 'examples');
    const tags = join(dir, 'tags.jsonl');
    const t = run(['tag', examples, '--out', tags, '--min-eye-distance', '60', '-w', '1']);
    expect(t.code).toBe(0);
    const recs = readFileSync(tags, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const [astro, grace] = [recs.find((r) => r.path.endsWith('astronaut.png')), recs.find((r) => r.path.endsWith('grace_hopper.jpg'))];
    expect(astro.faces[0].excluded).toEqual([`min-eye-distance: ${astro.faces[0].quality.eye_distance} < 60`]);
    expect(astro.faces[0].quality.eye_distance).toBeLessThan(60);
    expect(grace.faces[0].excluded).toBeUndefined();
    expect(Object.keys(grace.faces[0].pose)).toEqual(['yaw', 'pitch', 'roll']);
    expect(t.stderr).toMatch(/quality rule: 1 face marked "excluded"/);
    expect(recs[0].provenance.settings.quality_rule).toBe('--min-eye-distance 60'); // the rule changes results: it is in the provenance
    // CSV: pose, quality and the reason as columns.
    // The astronaut's head is tilted by about 2° (roll, the eye line: 1.8° measured); her yaw is near 0 (0.0 to 0.8°,
    // depending on the pyramid plan), too close to 0 for a yaw bound to be a stable test.
    const csv = run(['tag', example, '--format', 'csv', '--max-roll', '1']).stdout.trim().split('\n');
    const header = csv[0].split(',');
    for (const c of ['yaw', 'pitch', 'roll', 'eye_distance', 'sharpness', 'brightness', 'contrast', 'clipped', 'excluded']) expect(header).toContain(c);
    const row = csv[1].split(',');
    expect(Math.abs(Number(row[header.indexOf('roll')]))).toBeGreaterThan(1);
    expect(row[header.indexOf('excluded')]).toMatch(/^max-roll: \|-?[\d.]+\| > 1$/);
    // crop: no crop for the small face, listed in excluded.jsonl; manifest lines carry pose and quality.
    const c = run(['crop', examples, '--out', join(dir, 'crops'), '--min-eye-distance', '60', '-q']);
    expect(c.code).toBe(0);
    const manifest = readFileSync(join(dir, 'crops', 'crops.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(manifest.map((m) => m.crop)).toEqual(['grace_hopper.jpg__face0.png']);
    expect(manifest[0].quality.eye_distance).toBeGreaterThan(60);
    const left = readFileSync(join(dir, 'crops', 'excluded.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(left).toHaveLength(1);
    expect(left[0].source).toMatch(/astronaut\.png$/);
    expect(left[0].excluded[0]).toMatch(/^min-eye-distance: /);
    expect(c.stderr).toMatch(/1 face left out by the quality rule/);
    // compare: the face is left out of group A and counted under its filter.
    writeFileSync(join(dir, 'groups.csv'), `path,group\n${join(examples, 'astronaut.png')},A\n${join(examples, 'grace_hopper.jpg')},B\n`);
    // --min-face only acts while tagging: with --results it is said to be ignored (and changes nothing below).
    const cmp = run(['compare', '--results', tags, '--manifest', join(dir, 'groups.csv'), '--out', join(dir, 'cmp'), '--min-eye-distance', '60', '--min-face', '200', '--bootstrap', '200', '--no-png']);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stderr).toMatch(/warning: --min-face ignored with --results/);
    expect(cmp.stderr).not.toMatch(/--score-threshold.*ignored/);
    expect(cmp.stderr).toMatch(/quality rule: group "A" lost 1 face\(s\) \(min-eye-distance 1\)/);
    const doc = JSON.parse(readFileSync(join(dir, 'cmp', 'compare.json'), 'utf8'));
    expect(doc.context.summary.qualityExcludedBy).toEqual({ A: { 'min-eye-distance': 1 } });
    expect(doc.context.qualityRule).toBe('--min-eye-distance 60');
    const html = readFileSync(join(dir, 'cmp', 'report.html'), 'utf8');
    expect(html).toContain('Face quality and pose by group');
    expect(html).toMatch(/<tr><td>A<\/td><td>1<\/td><td>1<\/td><td>0<\/td><\/tr>/);
  });

  it('tag never truncates an existing --out file unless told: refused (exit 1, file untouched), then --overwrite replaces it', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'facetally-cli-')), 'tags.jsonl');
    writeFileSync(out, '{"path":"earlier.jpg"}\n');
    const r = run(['tag', example, '--out', out, '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toMatch(/already exists \(23 bytes\); add --resume to continue that run, or --overwrite/);
    expect(readFileSync(out, 'utf8')).toBe('{"path":"earlier.jpg"}\n');
    const both = run(['tag', example, '--out', out, '--resume', '--overwrite']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/contradict/);
    const o = run(['tag', example, '--out', out, '--overwrite', '-q']);
    expect(o.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.path)).toEqual([example]);
    expect(lines[0].faces).toHaveLength(1);
  });

  it('crop keeps photos of different folders with the same name apart (p.png, p.png~2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-cli-'));
    for (const g of ['gA', 'gB']) {
      mkdirSync(join(dir, g));
      copyFileSync(g === 'gA' ? example : join(repoRoot, 'examples', 'grace_hopper.jpg'), join(dir, g, 'p.png'));
    }
    const c = run(['crop', join(dir, 'gA'), join(dir, 'gB'), '--out', join(dir, 'crops')]);
    expect(c.code).toBe(0);
    const manifest = readFileSync(join(dir, 'crops', 'crops.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(manifest.map((m) => [m.crop, m.source])).toEqual([
      ['p.png__face0.png', join(dir, 'gA', 'p.png')],
      ['p.png~2__face0.png', join(dir, 'gB', 'p.png')],
    ]);
    expect(readdirSync(join(dir, 'crops')).filter((f) => f.endsWith('.png')).sort()).toEqual(['p.png__face0.png', 'p.png~2__face0.png']);
  });

  it('draw never replaces the input photo or an existing file without --overwrite, and writes only .png', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-cli-'));
    const photo = join(dir, 'x.png');
    copyFileSync(example, photo);
    const before = readFileSync(photo);
    // The same photo under another name: a symbolic link and a hard link (found by a newcomer: --overwrite wrote through them).
    symlinkSync('x.png', join(dir, 'alias.png'));
    linkSync(photo, join(dir, 'hard.png'));
    for (const [args, msg] of [
      [['draw', photo, '--out', photo, '--overwrite'], /is also an input photo/],
      [['draw', photo, '--out', join(dir, 'alias.png'), '--overwrite'], /is also an input photo/],
      [['draw', photo, '--out', join(dir, 'hard.png'), '--overwrite'], /is also an input photo/],
      [['draw', photo, '--out', join(dir, 'o.jpg')], /ending in \.png/],
      [['draw', photo, '--out', dir + '/sub.png', '--top', '2'], null],
      [['draw', photo, '--out', dir + '/boxes.png', '--top', '0'], null],
      [['draw', photo, '--out', dir + '/neg.png', '--top', '-1'], /integer >= 0/],
      [['draw', photo, '--out', dir + '/sub.png'], /already exists; add --overwrite/],
    ] as [string[], RegExp | null][]) {
      const r = run(args);
      if (msg) {
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(msg);
      } else expect(r.code, args.join(' ')).toBe(0);
    }
    expect(readFileSync(photo).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'o.jpg'))).toBe(false);
    expect(run(['draw', photo, '--out', dir + '/sub.png', '--overwrite']).code).toBe(0);
  });

  it('tag refuses a folder as --out and an absurd --workers, before loading anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facetally-cli-'));
    const r = run(['tag', example, '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is a folder; give a file name/);
    const w = run(['tag', example, '--workers', '1000']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/--workers 1000: at most \d+ \(4 x the \d+ cores here\)/);
  });
});
