/**
 * End to end for the labelling view: `facetally sample` on the shared photos (two folder groups), its folder
 * opened in the web app in Debian's Chromium (playwright-core) through the folder picker; a few faces labelled with the
 * keyboard; the export checked cell by cell against the sheet it came from and given to
 * `facetally compare --validation-labels`; an import into a fresh tab to go on; and that nothing left 127.0.0.1.
 *
 * Environment: FACETALLY_CHROMIUM (default /usr/bin/chromium); FACETALLY_SCREENSHOTS (folder for
 * web-label.png; default a temporary folder).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { csvFormatRow, csvParseRows } from 'd3-dsv';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { CHROMIUM, launchChromium, type SeenRequest } from '../helpers/chromium.js';
import { describeShared, repoRoot, requireShared } from '../helpers/shared.js';

const GROUPS: Record<string, string[]> = {
  portraits: ['astronaut.png', 'grace_hopper.jpg', 'man_three_quarter.jpg'],
  scenes: ['group_of_3.jpg', 'family_of_7.jpg', 'person_from_behind.jpg'],
};
const ATTRIBUTES = ['Eyeglasses', 'Male', 'Smiling', 'Wearing_Hat', 'Young'];
const LONG = 300_000;

const bin = join(repoRoot, 'bin', 'facetally.js');
const execFileAsync = promisify(execFile);

/**
 * Run the command line in `cwd` (asynchronously: a long synchronous child would block this test worker's event
 * loop, and vitest's worker RPC times out on a loaded machine). @throws Error with its stderr unless it exits with 0.
 */
async function facetally(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    throw new Error(`facetally ${args.join(' ')} exited with ${e.code}:\n${e.stderr ?? String(err)}`);
  }
}

describeShared('labelling view in Chromium (e2e)', ['data/photos/expected.json'], ([expectedPath]) => {
  const photoDir = join(expectedPath, '..');
  const missing = [
    !existsSync(CHROMIUM) && `Chromium at ${CHROMIUM} (apt-get install chromium, or set FACETALLY_CHROMIUM)`,
    !existsSync(join(repoRoot, 'dist/web/index.html')) && 'the web build dist/web (npm run build)',
  ].filter(Boolean);
  const skip = missing.length > 0 && !requireShared;
  const shots = process.env.FACETALLY_SCREENSHOTS ? resolve(process.env.FACETALLY_SCREENSHOTS) : null;

  let tmp: string;
  let sampleDir: string;
  let sheet: string[][];
  /** Row (0-based, in to-label.csv after the header) of each portrait's face. */
  const rowOf: Record<string, number> = {};
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: SeenRequest[] = [];
  const pageErrors: string[] = [];

  const progress = () => page.$eval('#label-progress', (el) => ({ facesDone: Number((el as HTMLElement).dataset.facesDone), cellsLabelled: Number((el as HTMLElement).dataset.cellsLabelled), text: el.textContent ?? '' }));
  const current = () => page.$eval('#label-work', (el) => ({ row: Number((el as HTMLElement).dataset.row), attribute: (el as HTMLElement).dataset.attribute }));
  async function exportCsv(via: 'button' | 'ctrl+s'): Promise<string[][]> {
    const [download] = await Promise.all([page.waitForEvent('download'), via === 'button' ? page.click('#label-export') : page.keyboard.press('Control+s')]);
    expect(download.suggestedFilename()).toBe('labels.csv');
    return csvParseRows(readFileSync((await download.path())!, 'utf8'));
  }
  async function openPage(): Promise<Page> {
    const p = await context.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    p.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
    p.setDefaultTimeout(LONG);
    await p.goto(`${server.url}#label`);
    await p.waitForSelector('#label-view:not([hidden]) #label-folder', { state: 'attached' });
    await p.setInputFiles('#label-folder', sampleDir);
    await p.waitForSelector('#label-work:not([hidden])');
    return p;
  }

  beforeAll(async () => {
    if (skip) return;
    if (missing.length) throw new Error(`e2e needs ${missing.join('; ')}`);
    tmp = mkdtempSync(join(tmpdir(), 'facetally-label-e2e-'));
    for (const [g, names] of Object.entries(GROUPS)) {
      mkdirSync(join(tmp, 'photos', g), { recursive: true });
      for (const n of names) copyFileSync(join(photoDir, n), join(tmp, 'photos', g, n));
    }
    // Every portrait face (3 of 3) and 4 of the 10 scene faces, in a seeded random order that mixes the groups.
    sampleDir = join(tmp, 'my-sample');
    await facetally(['sample', 'photos/portraits', 'photos/scenes', '--out', 'my-sample', '--per-group', '4', '--seed', '7', '--attributes', ATTRIBUTES.join(','), '-q'], tmp);
    sheet = csvParseRows(readFileSync(join(sampleDir, 'to-label.csv'), 'utf8'));
    for (const name of ['astronaut.png', 'grace_hopper.jpg', 'man_three_quarter.jpg']) rowOf[name] = sheet.findIndex((r) => r[0] === `photos/portraits/${name}`) - 1;

    server = await startServer({ port: 0 });
    ({ browser, context } = await launchChromium({ width: 1400, height: 900 }, requests));
    page = await openPage();
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it.skipIf(skip)('opens the sample folder: first face, its crop (178×218) and context photo, the attributes', async () => {
    const faces = sheet.length - 1;
    expect(faces).toBe(7); // 3 portraits + 4 of the 10 scene faces
    expect(Object.values(rowOf).every((r) => r >= 0)).toBe(true);
    expect(await page.textContent('#label-face-title')).toBe(`Face 1 of ${faces}`);
    expect(await page.textContent('#label-status')).toContain(`to-label.csv: ${faces} faces × ${ATTRIBUTES.length} attributes`);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#label-crop, #label-context')].every((i) => i.complete && i.naturalWidth > 0));
    const sizes = await page.$$eval('#label-crop, #label-context', (imgs) => imgs.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight]));
    expect(sizes[0]).toEqual([178, 218]);
    expect(sizes[1][0]).toBeGreaterThan(0);
    expect(await page.$$eval('#label-attributes li', (lis) => lis.map((li) => (li as HTMLElement).dataset.attribute))).toEqual(ATTRIBUTES);
    expect(await current()).toEqual({ row: 0, attribute: 'Eyeglasses' });
    expect(await page.textContent('.shortcuts')).toContain('Y or 1');
    expect(await progress()).toMatchObject({ facesDone: 0, cellsLabelled: 0 });
  });

  it.skipIf(skip)('labels with the keyboard: yes / no / skip, clear, arrows; progress follows', async () => {
    const [A, G, M] = [rowOf['astronaut.png'], rowOf['grace_hopper.jpg'], rowOf['man_three_quarter.jpg']];
    const last = sheet.length - 2;
    /** Go to a face with ← / →; the first attribute is then current. */
    async function goTo(row: number, name?: string): Promise<void> {
      const from = (await current()).row;
      for (let k = 0; k < Math.abs(row - from); k++) await page.keyboard.press(row > from ? 'ArrowRight' : 'ArrowLeft');
      if (row === from) for (const _ of ATTRIBUTES) await page.keyboard.press('ArrowUp'); // up to the first attribute
      expect(await current()).toEqual({ row, attribute: 'Eyeglasses' });
      if (name) expect(await page.textContent('#label-face-path')).toContain(name);
    }
    // Labels as a careful annotator would give them where expected.json knows (and one deliberate slip).
    // astronaut.png: Eyeglasses no, Male no (with 0), Smiling yes, Wearing_Hat no, Young skipped.
    await goTo(A, 'astronaut.png');
    for (const k of ['n', '0', 'y', 'n', 's']) await page.keyboard.press(k);
    expect(await current()).toEqual(A < last ? { row: A + 1, attribute: 'Eyeglasses' } : { row: A, attribute: 'Young' });
    expect(await progress()).toMatchObject({ facesDone: 0, cellsLabelled: 4 });
    // grace_hopper.jpg: Eyeglasses yes, Male no, Smiling skipped (Space), Wearing_Hat yes (with 1), Young yes (a slip).
    await goTo(G, 'grace_hopper.jpg');
    for (const k of ['y', 'n', ' ', '1', 'y']) await page.keyboard.press(k);
    await goTo(G);
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowDown');
    expect((await current()).attribute).toBe('Smiling');
    await page.keyboard.press('n'); // the skipped Smiling → no; the face is complete
    expect(await progress()).toMatchObject({ facesDone: 1, cellsLabelled: 9 });
    await page.keyboard.press('ArrowDown'); // Young: clear the slip, then no
    await page.keyboard.press('Backspace');
    expect(await page.getAttribute('#label-attributes li[data-attribute="Young"]', 'data-label')).toBe('');
    expect(await progress()).toMatchObject({ facesDone: 0, cellsLabelled: 8 });
    await page.keyboard.press('n');
    expect(await progress()).toMatchObject({ facesDone: 1, cellsLabelled: 9 });
    // man_three_quarter.jpg, by mouse: Male yes; then Smiling no by key.
    await goTo(M, 'man_three_quarter.jpg');
    await page.click('#label-attributes li[data-attribute="Male"] button.label-yes');
    expect(await current()).toEqual({ row: M, attribute: 'Smiling' });
    await page.keyboard.press('n');
    expect(await progress()).toMatchObject({ facesDone: 1, cellsLabelled: 11 });
    // From the last face, Enter goes to the next face with blank labels, wrapping around to the first that is not grace_hopper.
    await goTo(last);
    await page.keyboard.press('Enter');
    expect(await current()).toEqual({ row: G === 0 ? 1 : 0, attribute: (G === 0 ? 1 : 0) === A ? 'Young' : 'Eyeglasses' });
    expect((await progress()).text).toContain(`1 of ${sheet.length - 1} faces fully labelled, 2 in part · 11 of ${(sheet.length - 1) * ATTRIBUTES.length} labels`);
    await goTo(G);
    if (shots) {
      mkdirSync(shots, { recursive: true });
      await page.mouse.move(1, 1); // no hover highlight in the picture
      const bottom = await page.$eval('#label-work', (el) => el.getBoundingClientRect().bottom);
      await page.screenshot({ path: join(shots, 'web-label.png'), clip: { x: 0, y: 0, width: 1400, height: Math.ceil(bottom) + 16 } });
    }
  });

  it.skipIf(skip)('exports the same CSV: header, row order and untouched cells as read, labels filled in', async () => {
    const out = await exportCsv('button');
    expect(out[0]).toEqual(sheet[0]);
    expect(out).toHaveLength(sheet.length);
    const col = (a: string) => sheet[0].indexOf(a);
    const expected = sheet.map((r) => [...r]);
    const set = (row: number, a: string, v: string) => (expected[row + 1][col(a)] = v);
    const [A, G, M] = [rowOf['astronaut.png'], rowOf['grace_hopper.jpg'], rowOf['man_three_quarter.jpg']];
    set(A, 'Eyeglasses', '0'); set(A, 'Male', '0'); set(A, 'Smiling', '1'); set(A, 'Wearing_Hat', '0');
    set(G, 'Eyeglasses', '1'); set(G, 'Male', '0'); set(G, 'Smiling', '0'); set(G, 'Wearing_Hat', '1'); set(G, 'Young', '0');
    set(M, 'Male', '1'); set(M, 'Smiling', '0');
    expect(out).toEqual(expected);
    // Ctrl+S gives the same file.
    expect(await exportCsv('ctrl+s')).toEqual(expected);
  });

  it.skipIf(skip)('compare --validation-labels accepts the export: labelled faces per group and attribute in compare.json', async () => {
    const out = await exportCsv('button');
    writeFileSync(join(tmp, 'labels.csv'), out.map((r) => csvFormatRow(r)).join('\n') + '\n');
    // The records made by sample (my-sample/tags.jsonl) are reused: no second run of the models.
    await facetally(['compare', 'photos/portraits', 'photos/scenes', '--results', 'my-sample/tags.jsonl', '--validation-labels', 'labels.csv', '--out', 'report', '--bootstrap', '200', '--no-png', '-q'], tmp);
    const json = JSON.parse(readFileSync(join(tmp, 'report', 'compare.json'), 'utf8'));
    expect(json.result.groups).toEqual(['portraits', 'scenes']);
    expect(json.result.twoPhase).toBe(true);
    type TwoPhase = { groups: ({ labelled: number; pooled: string | null } | null)[] } | null;
    const attrs: { attribute: string; twoPhase: TwoPhase }[] = json.result.panels[0].attributes;
    const two = (a: string) => attrs.find((x) => x.attribute === a)!.twoPhase!.groups;
    const labelled = (a: string) => two(a).map((g) => (g === null ? null : g.labelled));
    // Labelled above: astronaut 4 attributes (not Young), grace_hopper 5, man_three_quarter 2 (Male, Smiling); no
    // scene face. compare gives a group an estimate, with its labelled count, where each decision stratum (decided
    // yes / no) the group has is covered by labels (its own, or pooled over the groups when it has fewer than 10);
    // otherwise null. Which strata exist depends on the model's decisions, so only Smiling and Male, labelled on
    // every portrait face (both strata covered by the group's own labels), must have one.
    const expected: Record<string, [number, number]> = { Smiling: [3, 0], Male: [3, 0], Eyeglasses: [2, 0], Wearing_Hat: [2, 0], Young: [1, 0] };
    for (const [a, counts] of Object.entries(expected)) two(a).forEach((g, i) => expect(g === null ? null : g.labelled, `${a} ${json.result.groups[i]}`).toBe(g === null ? null : counts[i]));
    expect(labelled('Smiling')[0]).toBe(3);
    expect(labelled('Male')[0]).toBe(3);
    // Fewer than 10 labels in a group: its predictive values are pooled over the groups, and flagged.
    expect(two('Smiling')[0]!.pooled).not.toBeNull();
    // An attribute without labels gets no two-phase block.
    expect(attrs.find((x) => x.attribute === 'Bald')!.twoPhase).toBeNull();
  });

  it.skipIf(skip)('imports an export into a fresh tab and goes on where it stopped', async () => {
    const out = await exportCsv('button');
    const file = join(tmp, 'labels-earlier.csv');
    writeFileSync(file, out.map((r) => csvFormatRow(r)).join('\n') + '\n');
    const fresh = await openPage();
    const first = rowOf['grace_hopper.jpg'] === 0 ? 1 : 0; // the first face not fully labelled
    await fresh.setInputFiles('#label-import', file);
    await fresh.waitForFunction(() => document.querySelector('#label-status')?.textContent?.startsWith('Imported'));
    expect(await fresh.textContent('#label-status')).toBe('Imported 11 labels for 3 faces from labels-earlier.csv.');
    expect(await fresh.$eval('#label-progress', (el) => Number((el as HTMLElement).dataset.cellsLabelled))).toBe(11);
    expect(await fresh.$eval('#label-work', (el) => [Number((el as HTMLElement).dataset.row), (el as HTMLElement).dataset.attribute])).toEqual([first, first === rowOf['astronaut.png'] ? 'Young' : 'Eyeglasses']);
    await fresh.close();
  });

  it.skipIf(skip)('without a folder picker: loose files (the sheet, then the images) are matched by file name', async () => {
    const p = await context.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(`${server.url}#label`);
    await p.setInputFiles('#label-files', join(sampleDir, 'to-label.csv'));
    await p.waitForSelector('#label-work:not([hidden])');
    expect(await p.textContent('#label-status')).toBe(`to-label.csv: ${sheet.length - 1} faces × ${ATTRIBUTES.length} attributes · ${sheet.length - 1} crop images not found among the opened files`);
    expect(await p.textContent('.label-crop figcaption')).toBe('crops/000001.png: not among the opened files');
    const images = sheet.slice(1).flatMap((r) => [join(sampleDir, r[3]), join(sampleDir, r[4])]);
    await p.setInputFiles('#label-files', images);
    expect(await p.textContent('#label-status')).toBe(`to-label.csv: ${sheet.length - 1} faces × ${ATTRIBUTES.length} attributes`);
    await p.waitForFunction(() => (document.querySelector<HTMLImageElement>('#label-crop')?.naturalWidth ?? 0) > 0);
    expect(await p.$eval('#label-crop', (i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight])).toEqual([178, 218]);
    expect(await p.textContent('.label-crop figcaption')).toBe('aligned crop (what the model sees)');
    // The same sheet picked again alone keeps the images; nothing is found missing.
    await p.setInputFiles('#label-files', join(sampleDir, 'to-label.csv'));
    expect(await p.textContent('#label-status')).toBe(`to-label.csv: ${sheet.length - 1} faces × ${ATTRIBUTES.length} attributes`);
    // A drop on the page goes to this view while it is open: a sheet with a bad cell is refused, naming the line.
    await p.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['path,face,group,crop,context,Smiling\nx.jpg,0,g,crops/1.png,context/1.jpg,yes\n'], 'to-label.csv', { type: 'text/csv' }));
      document.querySelector('#label-view')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await p.waitForSelector('#label-status.error');
    expect(await p.textContent('#label-status')).toBe('to-label.csv is not a labelling sheet: line 2: Smiling is "yes"; a label is 1 (yes), 0 (no) or blank (not labelled)');
    expect(await p.textContent('#label-face-title')).toBe(`Face 1 of ${sheet.length - 1}`); // the open sheet is kept
    expect(await p.$$eval('.card', (c) => c.length)).toBe(0); // and nothing went to the gallery
    await p.close();
  });

  it.skipIf(skip)('no request left 127.0.0.1, none carried data, no page errors', () => {
    const origin = server.url.replace(/\/$/, '');
    expect(requests.filter((r) => !(r.url.startsWith(origin + '/') || r.url.startsWith(`blob:${origin}/`) || r.url.startsWith('data:')))).toEqual([]);
    expect(requests.filter((r) => r.method !== 'GET' || r.body > 0)).toEqual([]);
    const fetched = requests.filter((r) => r.url.startsWith(origin + '/')).map((r) => new URL(r.url).pathname);
    expect(fetched.some((p) => /\.(jpe?g|png|csv)$/i.test(p))).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
