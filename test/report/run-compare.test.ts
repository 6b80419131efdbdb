import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseCsv, UsageError } from '../../src/analysis/inputs.js';
import { CSV_COLUMNS } from '../../src/report/tables.js';
import { identicalCopies, runCompare } from '../../src/report/run-compare.js';
import type { PhotoResult } from '../../src/types.js';
import { syntheticResults, syntheticSidecar } from './fixtures.js';

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'facetally-compare-'));
  const photos = syntheticResults(['1990s', '2000s', '2010s'], 30, join(dir, 'photos'));
  photos.push({ path: join(dir, 'photos/2000s/broken.jpg'), width: null, height: null, faces: [], error: { code: 'decode_failed', message: 'broken.jpg: not an image' } });
  writeFileSync(join(dir, 'tags.jsonl'), photos.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const rows = ['path,group,gender'];
  photos.forEach((p, i) => rows.push(`${p.path.slice(dir.length + 1)},${p.path.split('/').at(-2)},${i % 2 ? 'f' : 'm'}`));
  writeFileSync(join(dir, 'groups.csv'), rows.join('\n') + '\n');
  writeFileSync(join(dir, 'attributes.json'), JSON.stringify(syntheticSidecar()));
  return { dir, photos };
}

describe('runCompare', () => {
  it('--results + --manifest + --by writes JSON, CSV, charts and a self-contained report; exit 2 for an unreadable photo', async () => {
    const { dir } = workspace();
    const out = join(dir, 'out');
    const o = await runCompare({
      folders: [],
      manifest: join(dir, 'groups.csv'),
      results: join(dir, 'tags.jsonl'),
      by: 'gender',
      out,
      sidecar: join(dir, 'attributes.json'),
      bootstrap: 200,
      png: true,
    });
    expect(o.exitCode).toBe(2);
    expect(o.context.summary.errors).toHaveLength(1);
    expect(o.result.groups).toEqual(['1990s', '2000s', '2010s']);
    expect(o.result.panels.map((p) => p.level)).toEqual([null, 'f', 'm']);
    expect(o.result.corrected).toBe(true);

    const doc = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(doc.format).toBe('facetally-compare/1');
    expect(doc.context.model.name).toBe('synthetic-test-model');
    const smiling = doc.result.panels[0].attributes.find((a: { attribute: string }) => a.attribute === 'Smiling');
    expect(smiling.significant).toBe(true);
    expect(smiling.rank).toBe(1);

    const csv = readFileSync(join(out, 'compare.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(1 + 3 * 40 * 3);

    for (const name of ['prevalence-top', 'prevalence-all', 'corrected-top', 'corrected-all']) {
      expect(existsSync(join(out, 'charts', `${name}.svg`))).toBe(true);
      expect(existsSync(join(out, 'charts', `${name}.png`))).toBe(true);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/i);
    expect((html.match(/<svg/g) ?? []).length).toBe(4);
    expect(html).toContain('Rogan–Gladen');
    expect(html).toContain('broken.jpg');
    expect(html).not.toContain('split-caveat'); // --by a manifest column: the panels are not chosen by the model
  });

  it('--split-by-attribute with the correction says that the overall error rates do not hold inside the panels', async () => {
    const { dir } = workspace();
    const out = join(dir, 'out-split');
    const o = await runCompare({ folders: [], manifest: join(dir, 'groups.csv'), results: join(dir, 'tags.jsonl'), splitByAttribute: 'Male', out, sidecar: join(dir, 'attributes.json'), bootstrap: 200, png: false });
    expect(o.result.corrected).toBe(true);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<div class="callout caveat" id="split-caveat"><b>Panels chosen by a prediction.</b> The panels <i>Male</i> and <i>not Male</i>');
    expect(html).toContain("breaks the correction's assumption of equal error rates");
  });

  it('assigns recorded photos to folders with --results and folders, and runs the tagger for folders', async () => {
    const { dir, photos } = workspace();
    const a = await runCompare({
      folders: [join(dir, 'photos/1990s'), join(dir, 'photos/2010s')],
      results: join(dir, 'tags.jsonl'),
      out: join(dir, 'out2'),
      sidecar: null,
      png: false,
      splitByAttribute: 'Male',
    });
    expect(a.exitCode).toBe(0);
    expect(a.result.groups).toEqual(['1990s', '2010s']);
    expect(a.result.corrected).toBe(false);
    expect(a.result.levels).toEqual(['Male', 'not Male']);
    expect(existsSync(join(dir, 'out2/charts/prevalence-top.png'))).toBe(false);
    // The same --out again: refused (the earlier report is kept) unless overwrite.
    const again = { folders: [join(dir, 'photos/1990s'), join(dir, 'photos/2010s')], results: join(dir, 'tags.jsonl'), out: join(dir, 'out2'), sidecar: null, png: false };
    const html0 = readFileSync(join(dir, 'out2/report.html'), 'utf8');
    await expect(runCompare(again)).rejects.toThrow(/out2\/report\.html already exists from an earlier comparison; add --overwrite/);
    expect(readFileSync(join(dir, 'out2/report.html'), 'utf8')).toBe(html0);
    expect((await runCompare({ ...again, overwrite: true })).exitCode).toBe(0);

    const seen: string[][] = [];
    const tagger = async function* (inputs: string[]): AsyncIterable<PhotoResult> {
      seen.push(inputs);
      yield* photos.filter((p) => p.path.startsWith(inputs[0] + '/'));
    };
    for (const g of ['1990s', '2000s']) mkdirSync(join(dir, 'photos', g), { recursive: true });
    await expect(runCompare({ folders: [join(dir, 'photos/1990s'), join(dir, 'photos/nope')], out: join(dir, 'out4'), sidecar: null, png: false, tagger })).rejects.toThrow(/photos\/nope: folder not found/);
    expect(seen).toEqual([]); // refused before tagging anything
    expect(existsSync(join(dir, 'out4'))).toBe(false); // and the --out folder it made for the report is gone again
    const b = await runCompare({ folders: [join(dir, 'photos/1990s'), join(dir, 'photos/2000s')], out: join(dir, 'out3'), sidecar: null, png: false, tagger });
    expect(seen).toEqual([[join(dir, 'photos/1990s')], [join(dir, 'photos/2000s')]]);
    expect(b.exitCode).toBe(2); // broken.jpg is in 2000s
    expect(b.result.panels[0].faces['1990s']).toBeGreaterThan(30);

    // A group folder in which the tagger finds no photo at all is a usage error naming it, not an empty group;
    // an --out that is a file is refused before anything is tagged.
    mkdirSync(join(dir, 'photos', 'empty'));
    await expect(runCompare({ folders: [join(dir, 'photos/1990s'), join(dir, 'photos/empty')], out: join(dir, 'out5'), sidecar: null, png: false, tagger }))
      .rejects.toThrow(/photos\/empty: no photos found in this folder \(group "empty"\)/);
    expect(existsSync(join(dir, 'out5'))).toBe(false);
    mkdirSync(join(dir, 'kept')); // a folder that was there before the run stays
    await expect(runCompare({ folders: [join(dir, 'photos/1990s'), join(dir, 'photos/empty')], out: join(dir, 'kept'), sidecar: null, png: false, tagger })).rejects.toThrow(/no photos found/);
    expect(existsSync(join(dir, 'kept'))).toBe(true);
    writeFileSync(join(dir, 'a-file'), 'x');
    const before = seen.length;
    await expect(runCompare({ folders: [join(dir, 'photos/1990s'), join(dir, 'photos/2000s')], out: join(dir, 'a-file'), sidecar: null, png: false, tagger }))
      .rejects.toThrow(/--out .*a-file is a file; give a folder/);
    expect(seen.length).toBe(before);
  });

  it('a manifest photo without a record is reported missing (exit 2); --min-score leaves low-scoring faces out', async () => {
    const { dir, photos } = workspace();
    // Drop the broken photo (so only the missing one can set exit 2) and list one photo that has no record.
    const kept = photos.filter((p) => !p.error);
    writeFileSync(join(dir, 'ok.jsonl'), kept.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const rows = ['path,group', ...kept.map((p) => `${p.path.slice(dir.length + 1)},${p.path.split('/').at(-2)}`), 'photos/1990s/extra.jpg,1990s'];
    writeFileSync(join(dir, 'm.csv'), rows.join('\n') + '\n');
    const base = { folders: [], manifest: join(dir, 'm.csv'), results: join(dir, 'ok.jsonl'), sidecar: null, png: false };
    const all = await runCompare({ ...base, out: join(dir, 'o-all') });
    expect(all.exitCode).toBe(2);
    expect(all.context.missing).toEqual(['photos/1990s/extra.jpg']);
    expect(readFileSync(join(dir, 'o-all', 'report.html'), 'utf8')).toContain('1 photo(s) in the manifest were not found in the results and are left out.');
    // Faces per group, counted from the fixture: all of them, and those scoring at least 0.8.
    const count = (min: number) => Object.fromEntries(['1990s', '2000s', '2010s'].map((g) => [g, kept.filter((p) => p.path.includes(`/${g}/`)).flatMap((p) => p.faces).filter((f) => f.score >= min).length]));
    expect(all.result.panels[0].faces).toEqual(count(0));
    const high = await runCompare({ ...base, out: join(dir, 'o-high'), minScore: 0.8 });
    expect(high.result.panels[0].faces).toEqual(count(0.8));
    const low = Object.values(count(0)).reduce((s, v) => s + v, 0) - Object.values(count(0.8)).reduce((s, v) => s + v, 0);
    expect(low).toBeGreaterThan(10);
    expect(high.context.summary.lowScoreFaces).toBe(low);
    expect(readFileSync(join(dir, 'o-high', 'report.html'), 'utf8')).toContain(`Faces with a detector score below 0.8 were left out (${low}).`);
  });

  it('compare.csv holds the figures of compare.json, row by row, and the counts of the fixture', async () => {
    const { dir, photos } = workspace();
    const out = join(dir, 'o-csv');
    await runCompare({ folders: [], manifest: join(dir, 'groups.csv'), results: join(dir, 'tags.jsonl'), by: 'gender', out, sidecar: join(dir, 'attributes.json'), bootstrap: 200, png: false, seed: 5 });
    const doc = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    const [header, ...rows] = parseCsv(readFileSync(join(out, 'compare.csv'), 'utf8')).map((r) => r.fields);
    expect(header).toEqual([...CSV_COLUMNS]);
    const num = (v: string) => (v === '' ? null : Number(v));
    let k = 0;
    for (const panel of doc.result.panels) {
      for (const a of panel.attributes) {
        for (const g of a.groups) {
          const c = Object.fromEntries(header.map((h, i) => [h, rows[k][i]]));
          k++;
          expect([c.panel, c.attribute, c.group]).toEqual([panel.level ?? 'all', a.attribute, g.group]);
          expect([num(c.n), num(c.count)]).toEqual([g.n, g.count]);
          for (const [col, v] of [['prevalence', g.prevalence], ['wilson_lower', g.wilson?.lower], ['wilson_upper', g.wilson?.upper], ['corrected', g.corrected?.estimate], ['p', a.test?.p], ['q', a.q], ['diff', a.largestDifference?.difference]] as const) {
            if (v === undefined || v === null) expect(c[col], col).toBe('');
            else expect(num(c[col])! / (v as number || 1), `${col} ${a.attribute} ${g.group}`).toBeCloseTo(v === 0 ? 0 : 1, 7);
          }
          expect(c.test).toBe(a.test?.method ?? '');
          expect(c.significant).toBe(a.test ? String(a.significant) : '');
        }
      }
    }
    expect(k).toBe(rows.length);
    // Independent of compare: the Smiling counts of the all-faces panel, straight from the fixture.
    for (const g of ['1990s', '2000s', '2010s']) {
      const faces = photos.filter((p) => p.path.includes(`/${g}/`)).flatMap((p) => p.faces);
      const row = rows.find((r) => r[0] === 'all' && r[1] === 'Smiling' && r[2] === g)!;
      expect([Number(row[3]), Number(row[4])]).toEqual([faces.length, faces.filter((f) => f.decisions.Smiling).length]);
    }
  });

  it('is reproducible: same inputs and seed give the same numbers', async () => {
    const { dir } = workspace();
    const run = (out: string) =>
      runCompare({ folders: [], manifest: join(dir, 'groups.csv'), results: join(dir, 'tags.jsonl'), out: join(dir, out), sidecar: join(dir, 'attributes.json'), bootstrap: 200, png: false, seed: 7 });
    expect((await run('r1')).result).toEqual((await run('r2')).result);
  });

  it('refuses bad usage with a UsageError', async () => {
    const { dir } = workspace();
    const base = { out: join(dir, 'x'), sidecar: null };
    await expect(runCompare({ ...base, folders: [join(dir, 'photos/1990s')] })).rejects.toThrow(/at least two folders/);
    await expect(runCompare({ ...base, folders: [], manifest: join(dir, 'groups.csv'), results: join(dir, 'tags.jsonl'), by: 'decade' })).rejects.toThrow(/no such column/);
    await expect(runCompare({ ...base, folders: ['a', 'b'], by: 'gender' })).rejects.toThrow(UsageError);
    await expect(runCompare({ ...base, folders: ['a', 'b'], splitByAttribute: 'Mail' })).rejects.toThrow(/40 CelebA attributes \(e\.g\. Male\) but received "Mail"$/);
    await expect(runCompare({ ...base, folders: ['a', 'b'], splitByAttribute: 'wearing-hat' })).rejects.toThrow(/received "wearing-hat"; did you mean Wearing_Hat\?$/);
    await expect(runCompare({ ...base, folders: ['a', 'b'] })).rejects.toThrow(/--results/);
    await expect(runCompare({ ...base, folders: ['a', 'b'], results: join(dir, 'tags.jsonl') })).rejects.toThrow(/no photo/);
    await expect(runCompare({ out: join(dir, 'x'), folders: ['a', 'b'], sidecar: join(dir, 'none.json'), sidecarExplicit: true })).rejects.toThrow(/sidecar not found/);
  });
});

describe('facetally compare (CLI)', () => {
  it('documents options, outputs and exit codes in --help', async () => {
    const { registerCompareCommand } = await import('../../src/cli/compare.js');
    const program = new Command().name('facetally').exitOverride();
    registerCompareCommand(program);
    const help = program.commands.find((c) => c.name() === 'compare')!.helpInformation() + '';
    let text = '';
    program.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    await expect(program.parseAsync(['node', 'facetally', 'compare', '--help'])).rejects.toThrow();
    for (const s of ['--manifest', '--results', '--by', '--split-by-attribute', '--min-score', '--out', 'compare.json', 'report.html', 'Exit codes']) {
      expect(help + text).toContain(s);
    }
  });
  it('exits 1 on bad usage and 2 when photos are unreadable', async () => {
    const { registerCompareCommand } = await import('../../src/cli/compare.js');
    const { dir } = workspace();
    const run = async (args: string[]) => {
      const program = new Command().name('facetally');
      registerCompareCommand(program);
      process.exitCode = undefined;
      await program.parseAsync(['node', 'facetally', 'compare', '-q', ...args]);
      const code = process.exitCode;
      process.exitCode = undefined;
      return code;
    };
    expect(await run(['--manifest', join(dir, 'groups.csv'), '--results', join(dir, 'tags.jsonl'), '--by', 'nope', '--out', join(dir, 'c1')])).toBe(1);
    expect(
      await run(['--manifest', join(dir, 'groups.csv'), '--results', join(dir, 'tags.jsonl'), '--model', dir, '--bootstrap', '200', '--no-png', '--out', join(dir, 'c2')]),
    ).toBe(2);
    expect(existsSync(join(dir, 'c2', 'report.html'))).toBe(true);
  });
});

describe('compare --results shows the provenance of the records', () => {
  it('lists each distinct provenance (version, model hashes, settings) and says when the results mix them', async () => {
    const { dir, photos } = workspace();
    const prov = (minFace: number) => ({
      facetally: '9.9.9', model: 'celeba-attributes', model_sha256: 'aaaaaaaaaaaaaaaa', thresholds_sha256: 'bbbbbbbbbbbbbbbb', detector_sha256: 'cccccccccccccccc',
      settings: { score_threshold: 0.75, min_face: minFace, max_pixels: 100 }, cwd: dir,
    });
    const tagged = photos.map((p, i) => ({ ...p, provenance: prov(i < 5 ? 200 : 32) }));
    writeFileSync(join(dir, 'tags.jsonl'), tagged.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const out = join(dir, 'out-prov');
    const o = await runCompare({ folders: [], manifest: join(dir, 'groups.csv'), results: join(dir, 'tags.jsonl'), out, sidecar: join(dir, 'attributes.json'), bootstrap: 200, png: false });
    const { cwd: _cwd, ...first } = prov(200);
    const { cwd: _cwd2, ...second } = prov(32);
    expect(o.context.resultsProvenance).toEqual({ provenances: [first, second], recordsWithout: 0 });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/Results made with: <b>The results mix 2 different settings or models<\/b>/);
    expect(html).toContain('<li>facetally 9.9.9, model celeba-attributes (onnx aaaaaaaaaaaaaaaa, thresholds bbbbbbbbbbbbbbbb), detector cccccccccccccccc, score_threshold 0.75, min_face 200, max_pixels 100</li>');
    expect(JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')).context.resultsProvenance.provenances).toHaveLength(2);
  });
});

describe('identicalCopies: byte-identical photos among the compared ones', () => {
  const rec = (path: string, sha256: string | null, group: string) => ({ photo: { path, sha256 }, assignment: { group } });
  it('counts copies after the first, names one, and lists the group pairs that share a photo', () => {
    const r = identicalCopies([
      rec('a/1.jpg', 'h1', 'A'),
      rec('a/2.jpg', 'h2', 'A'),
      rec('b/1.jpg', 'h1', 'B'), // same as a/1.jpg, other group
      rec('b/1b.jpg', 'h1', 'B'), // a third copy
      rec('a/2b.jpg', 'h2', 'A'), // same group
      rec('c/x.jpg', null, 'C'), // no hash (e.g. an unreadable photo): skipped
      rec('c/y.jpg', null, 'C'),
    ]);
    expect(r).toEqual({ copies: 3, example: 'b/1.jpg = a/1.jpg', acrossGroups: [['A', 'B']] });
  });
  it('no copies: zero and no example', () => {
    expect(identicalCopies([rec('a', 'h1', 'A'), rec('b', 'h2', 'B')])).toEqual({ copies: 0, example: null, acrossGroups: [] });
  });
});
