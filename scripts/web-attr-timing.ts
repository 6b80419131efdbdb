/**
 * The web app's attribute model in Chromium: per-face time and loading, for one or more model folders, to check
 * that a larger model (e.g. an ensemble of ~25 MB) still works in the browser and to say what it costs there.
 * A benchmark that prints figures, not a test.
 *
 *   npx tsx scripts/web-attr-timing.ts [--model DIR]... [--crops 64] [--batches 1,7] [--rounds 2] [--out FILE.md]
 *
 * For each --model (default: models/celeba-attributes), with `facetally serve`'s server (startServer, port 0) and
 * Debian's Chromium (playwright-core; FACETALLY_CHROMIUM or /usr/bin/chromium; a fresh browser context, so an
 * empty HTTP cache, per model):
 * 1. the real web app (dist/web; run `npm run build` first): the page is opened, the time until "Models ready"
 *    is read from the page (the three models fetched and opened in its worker), then the page is reloaded and read
 *    again (the server's ETag lets the browser revalidate instead of downloading the model again); a sample
 *    photo (astronaut.png from ../shared/data/photos) is added and its face count read back (test/web/e2e.test.ts
 *    checks the whole app with FACETALLY_WEB_MODEL=DIR);
 * 2. the attribute model alone, loaded as the app's worker loads it (sidecar, ONNX, onnxruntime-web WASM, one
 *    thread) on a page of this script's (scripts/web-attr-timing.page.ts, bundled with esbuild, served under
 *    /__timing/ on the same origin): `AttributeModel.predict` on --crops CelebA aligned images (178x218, already in
 *    the template frame), in batches of each --batches size (1 = a photo with one face; the app predicts all faces
 *    of a photo in one batch), --rounds times over the crops. Reported: ms per face (median, mean, 90th percentile).
 * The machine's load average before and after is printed with the figures: on a shared machine they vary.
 * Exit codes: 0 done; 1 bad usage, no Chromium, no web build, or a model that does not load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { build } from 'esbuild';
import { decodeImageFile } from '../src/image/decode.js';
import { startServer } from '../src/server/serve.js';
import { modelFolder, V3_REV } from './model-spec.js';
import type { TimingRequest, TimingResult } from './web-attr-timing.page.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.FACETALLY_SHARED ? resolve(process.env.FACETALLY_SHARED) : resolve(repoRoot, '..', 'shared');
const CHROMIUM = process.env.FACETALLY_CHROMIUM ?? '/usr/bin/chromium';

const HELP = `usage: npx tsx scripts/web-attr-timing.ts [--model DIR]... [--crops 64] [--batches 1,7] [--rounds 2] [--out FILE.md]

Times the attribute model in Chromium as the web app runs it (onnxruntime-web WASM, one thread): ms per face for
each batch size, model loading in the real app (first visit and reload), and checks the app tags a sample photo.
Default model: models/celeba-attributes. Needs dist/web (npm run build), Chromium, ../shared/data.

DIR is a model folder or git:REV (models/celeba-attributes/ of that commit, extracted to a temporary folder).
v3 against the model now in models/celeba-attributes (e.g. v4), same run, same machine:
  npx tsx scripts/web-attr-timing.ts --model git:${V3_REV.slice(0, 12)} --model models/celeba-attributes --out /tmp/web-timing.md

Exit codes: 0 done; 1 bad usage, no Chromium or web build, or a model that does not load.`;

interface Args { models: string[]; crops: number; batches: number[]; rounds: number; out?: string }

/** commander parser for a positive integer. */
function positiveInt(x: string): number {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer but received "${x}"`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const cmd = new Command('web-attr-timing')
    .option('--model <dir>', 'a model folder or git:REV (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--crops <n>', 'CelebA aligned crops to time', positiveInt, 64)
    .option('--batches <list>', 'comma-separated batch sizes', (v: string) => v.split(',').map(positiveInt), [1, 7])
    .option('--rounds <n>', 'passes over the crops per batch size', positiveInt, 2)
    .option('--out <file.md>', 'write the Markdown here instead of stdout');
  cmd.helpInformation = () => `${HELP}\n`;
  const o = cmd.parse(argv, { from: 'user' }).opts<{ model: string[]; crops: number; batches: number[]; rounds: number; out?: string }>();
  return {
    models: o.model.length ? o.model : ['models/celeba-attributes'],
    crops: o.crops,
    batches: o.batches,
    rounds: o.rounds,
    out: o.out === undefined ? undefined : resolve(o.out),
  };
}

const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set FACETALLY_CHROMIUM)`);
  if (!existsSync(join(repoRoot, 'dist', 'web', 'index.html'))) throw new Error('dist/web is not built: run `npm run build`');
  const alignedDir = join(shared, 'data', 'celeba', 'img_align_celeba');
  const photos = join(shared, 'data', 'photos');
  if (!existsSync(alignedDir) || !existsSync(photos)) throw new Error(`needs ${alignedDir} and ${photos} (../shared or FACETALLY_SHARED)`);

  const tmp = mkdtempSync(join(tmpdir(), 'facetally-web-timing-'));
  const log = (s: string) => process.stderr.write(`web-attr-timing: ${s}\n`);
  try {
    const dirs = args.models.map((spec, i) => ({ spec, dir: modelFolder(spec, repoRoot, join(tmp, `model-${i}`)) }));
    // The crops, as raw RGB bytes one after the other.
    const names = readdirSync(alignedDir).filter((n) => n.endsWith('.jpg')).sort().slice(0, args.crops);
    const cropBytes = Buffer.alloc(names.length * 178 * 218 * 3);
    for (const [i, n] of names.entries()) {
      const img = await decodeImageFile(join(alignedDir, n));
      if (img.width !== 178 || img.height !== 218) throw new Error(`${n}: ${img.width}x${img.height}, expected a 178x218 aligned CelebA image`);
      cropBytes.set(img.data, i * 178 * 218 * 3);
    }
    await build({
      entryPoints: [join(repoRoot, 'scripts', 'web-attr-timing.page.ts')],
      bundle: true, platform: 'browser', format: 'esm', target: 'es2022', outfile: join(tmp, 'page.js'), logLevel: 'error',
    });
    const ortDir = join(repoRoot, 'node_modules', 'onnxruntime-web', 'dist');
    const { chromium } = await import('playwright-core');
    const loadBefore = uptime();
    log(`load before: ${loadBefore}`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
      timeout: 120_000,
    });
    const rows: { model: string; bytes: number; firstS: string; reloadS: string; onnxStatus: string; faces: string; timing: TimingResult }[] = [];
    try {
      for (const { spec, dir: modelDir } of dirs) {
        const label = spec.startsWith('git:') ? (spec === `git:${V3_REV}` || V3_REV.startsWith(spec.slice(4)) ? `v3 (${spec.slice(0, 16)})` : spec) : relative(repoRoot, resolve(spec)).startsWith('..') ? resolve(spec) : relative(repoRoot, resolve(spec));
        log(`${label} ...`);
        const server = await startServer({ port: 0, modelDir });
        const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
        try {
          const page = await context.newPage();
          page.setDefaultTimeout(600_000);
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          const onnxStatuses: string[] = [];
          const sidecar = JSON.parse(readFileSync(join(modelDir, 'attributes.json'), 'utf8')) as { model: string };
          // Each request for the ONNX file: its status, and whether the browser revalidated (If-None-Match) a cached copy.
          page.on('response', async (r) => {
            if (!r.url().endsWith(`/models/attributes/${sidecar.model}`)) return;
            const h = await r.request().allHeaders().catch(() => ({}) as Record<string, string>);
            onnxStatuses.push(`${r.status()}${h['if-none-match'] ? ' (revalidated)' : ''}`);
          });
          // 1. The real app: model loading (first visit, then a reload), and two photos.
          const ready = async () => {
            await page.waitForSelector('#model-status.ok, #model-status.error', { timeout: 600_000 });
            const text = (await page.textContent('#model-status')) ?? '';
            if (!(await page.$('#model-status.ok'))) throw new Error(`${label}: the web app could not load the models: ${text}; page errors: ${errors.join('; ') || 'none'}`);
            return /([\d.]+) s\)/.exec(text)?.[1] ?? text;
          };
          await page.goto(server.url);
          const firstS = await ready();
          await page.reload();
          const reloadS = await ready();
          await page.setInputFiles('#file-input', [join(photos, 'astronaut.png')]);
          await page.waitForFunction(() => document.querySelectorAll('.card').length === 1 && document.querySelector<HTMLElement>('#progress')?.dataset.done === 'true', undefined, { timeout: 600_000, polling: 500 });
          const faces = (await page.$$eval('.card', (els) => els.map((c) => `${(c as HTMLElement).dataset.path}: ${(c as HTMLElement).dataset.faces ?? (c as HTMLElement).dataset.error}`))).join(', ');
          // 2. The attribute model alone, on this script's page under /__timing/ (same origin as the server).
          await page.route('**/__timing/**', async (route) => {
            const path = new URL(route.request().url()).pathname.replace(/^\/__timing\//, '');
            if (path === 'index.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>timing</title><script type="module" src="page.js"></script>' });
            if (path === 'page.js') return route.fulfill({ contentType: 'text/javascript', body: readFileSync(join(tmp, 'page.js')) });
            if (path === 'crops.bin') return route.fulfill({ contentType: 'application/octet-stream', body: cropBytes });
            if (path.startsWith('ort/') && /^[\w.-]+$/.test(path.slice(4)) && existsSync(join(ortDir, path.slice(4)))) {
              return route.fulfill({ contentType: path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', body: readFileSync(join(ortDir, path.slice(4))) });
            }
            return route.fulfill({ status: 404, body: 'not found' });
          });
          await page.goto(new URL('__timing/index.html', server.url).href);
          await page.waitForFunction(() => 'timeAttributes' in globalThis);
          const req: TimingRequest = { ortBase: '/__timing/ort/', sidecarUrl: '/models/attributes/attributes.json', cropsUrl: '/__timing/crops.bin', batches: args.batches, rounds: args.rounds };
          const timing = (await page.evaluate((r) => (globalThis as unknown as { timeAttributes(r: TimingRequest): Promise<TimingResult> }).timeAttributes(r), req)) as TimingResult;
          if (errors.length) throw new Error(`${label}: page errors: ${errors.join('; ')}`);
          rows.push({ model: label, bytes: statSync(join(modelDir, sidecar.model)).size, firstS, reloadS, onnxStatus: onnxStatuses.join(', '), faces, timing });
          log(`${label}: ${timing.perBatch.map((b) => `batch ${b.batch}: ${b.medianMsPerFace.toFixed(1)} ms/face`).join(', ')}`);
        } finally {
          await context.close();
          await server.close();
        }
      }
    } finally {
      await browser.close();
    }
    const loadAfter = uptime();
    const L: string[] = [];
    L.push(`Chromium ${browser.version()} (headless, ${CHROMIUM}), onnxruntime-web WASM, one thread, as the web app runs it; ` +
      `${names.length} CelebA aligned crops x ${args.rounds} rounds per batch size. Load average before: ${loadBefore.replace(/.*load average: /, '')}; after: ${loadAfter.replace(/.*load average: /, '')} (on a loaded machine the figures are slower and noisier).`);
    L.push('');
    L.push(`| model | ONNX MB | app: models ready, first visit / reload (s) | requests for the ONNX file (visit, reload, timing page) | attribute model alone: fetch + open (s) | ${args.batches.map((b) => `batch ${b}: ms per face, median (mean, p90)`).join(' | ')} | sample photo in the app (faces) |`);
    L.push(`|---|---:|---|---|---:|${args.batches.map(() => '---').join('|')}|---|`);
    for (const r of rows) {
      L.push(`| ${r.model} | ${(r.bytes / 1e6).toFixed(1)} | ${r.firstS} / ${r.reloadS} | ${r.onnxStatus} | ${(r.timing.loadMs / 1000).toFixed(2)} | ${r.timing.perBatch.map((b) => `**${b.medianMsPerFace.toFixed(1)}** (${b.meanMsPerFace.toFixed(1)}, ${b.p90MsPerFace.toFixed(1)})`).join(' | ')} | ${r.faces.replace(/\|/g, '/')} |`);
    }
    const text = L.join('\n') + '\n';
    process.stdout.write(text);
    if (args.out) writeFileSync(args.out, text);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`web-attr-timing: ${(err as Error).message}\n`);
  process.exit(1);
});
