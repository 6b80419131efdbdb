/**
 * facetally's benchmark: `npm run bench` (builds, then runs this with tsx). Prints a Markdown table; not a test.
 *
 *   npm run bench -- [--groups 30] [--workers N] [--rss 1000,10000] [--malloc-arena-max default,2] [--model DIR]
 *                    [--skip human,faceapi,rss,attributes] [--json FILE] [--work DIR]
 *   npx tsx scripts/bench.ts --only attributes [--model DIR] [--workers N]    (the attributes-only figure alone)
 *
 * One fixed photo set, generated deterministically under --work (default $TMPDIR/facetally-bench): the shared
 * sample photos (../shared/data/photos, known face counts in expected.json) plus `--groups` group pictures
 * composed from CelebA-HQ heads (../shared/data/celeba-hq/images) at 640x480, 1024x768 and 1600x1200, 1 to 9
 * faces each (known counts). On it, in one run on one machine, all with the same parallelism (`--workers`,
 * default all cores):
 * - facetally end to end: the command line `facetally tag DIR --out FILE --workers N` (startup and model loading
 *   included), photos/s and faces/s, face counts against the known counts;
 * - decode-only: the same photos decoded with sharp exactly as facetally decodes them (`decodeImageFile`),
 *   N*2 at a time: the floor no face tool that decodes with sharp can beat;
 * - @vladmandic/human 3.x (tfjs wasm backend; face detector + mesh + age/gender/description + emotion) and
 *   @vladmandic/face-api 1.x (tfjs wasm backend; SSD MobileNet v1 + 68 landmarks + age/gender), each as N child
 *   processes on N shards of the same photos, decoded with sharp, models read from their npm packages (no network);
 * - attributes only: the attribute model (`AttributeModel.predict`, preprocessing included) on 2,000 canonical
 *   178x218 crops (CelebA aligned images, already in the template frame), batches of 32, one onnxruntime session
 *   with N intra-op threads: aligned faces per second, the issue-3 figure;
 * - peak RSS (VmHWM of the facetally process, worker threads included) at 1,000 and 10,000 CelebA-HQ photos
 *   (128x128, one face each), to show memory does not grow with the collection; once with the environment's
 *   malloc settings and once with MALLOC_ARENA_MAX=2 (glibc's per-thread arenas fragment under sharp + onnxruntime).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeImageFile, type RgbImage } from '../src/image/decode.js';
import { loadAttributeModel } from '../src/attributes/load-node.js';
import { rng } from './lib/rng.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.FACETALLY_SHARED ? resolve(process.env.FACETALLY_SHARED) : resolve(repoRoot, '..', 'shared');
const require = createRequire(import.meta.url);

interface Args {
  groups: number;
  workers: number;
  rss: number[];
  /** MALLOC_ARENA_MAX values for the memory runs; '' = the environment as it is. */
  arenas: string[];
  model?: string;
  skip: Set<string>;
  /** 'attributes': only the attributes-only figure (no photo set, no end-to-end run). */
  only?: 'attributes';
  json?: string;
  work: string;
  child?: 'human' | 'faceapi';
  list?: string;
  result?: string;
}

const HELP = `usage: npm run bench -- [--groups 30] [--workers N] [--rss 1000,10000] [--malloc-arena-max default,2]
                        [--model DIR] [--skip human,faceapi,rss,attributes] [--json FILE] [--work DIR]
       npx tsx scripts/bench.ts --only attributes [--model DIR] [--workers N]

Prints a Markdown table: facetally end to end against sharp decode-only and two other face tools on one fixed photo
set, attributes only (aligned faces/s through the attribute model, preprocessing included, batches of 32, one
onnxruntime session with --workers threads), and peak memory at 1,000 and 10,000 photos. --only attributes runs
the attributes-only part alone (e.g. for two models: once with --model A, once with --model B, back to back).
Needs ../shared (or FACETALLY_SHARED). Timings depend on the machine's load: the load average is printed.`;

function parseArgs(argv: string[]): Args {
  const a: Args = {
    groups: 30,
    workers: availableParallelism(),
    rss: [1000, 10000],
    arenas: ['', '2'],
    skip: new Set(),
    work: join(process.env.TMPDIR ?? '/tmp', 'facetally-bench'),
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    const take = () => {
      i++;
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--groups') a.groups = Number(take());
    else if (k === '--workers') a.workers = Number(take());
    else if (k === '--rss') a.rss = take().split(',').filter(Boolean).map(Number);
    else if (k === '--malloc-arena-max') a.arenas = take().split(',').map((x) => (x === 'default' ? '' : x));
    else if (k === '--model') a.model = resolve(take());
    else if (k === '--skip') for (const s of take().split(',')) a.skip.add(s);
    else if (k === '--only') {
      const o = take();
      if (o !== 'attributes') throw new Error(`--only takes "attributes" (the attributes-only figure alone), not "${o}"`);
      a.only = o;
    } else if (k === '--help' || k === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    else if (k === '--json') a.json = resolve(take());
    else if (k === '--work') a.work = resolve(take());
    else if (k === '--child') a.child = take() as Args['child'];
    else if (k === '--list') a.list = take();
    else if (k === '--result') a.result = take();
    else throw new Error(`unknown option ${k}`);
  }
  if (!Number.isInteger(a.workers) || a.workers < 1) throw new Error(`expected a positive integer for --workers but received ${a.workers}`);
  return a;
}

/** A photo of the fixed set with its known number of faces. */
interface SetPhoto {
  path: string;
  faces: number;
}

function hqImages(): string[] {
  const dir = join(shared, 'data', 'celeba-hq', 'images');
  if (!existsSync(dir)) throw new Error(`${dir} not found: the benchmark needs the shared CelebA-HQ photos`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort((x, y) => parseInt(x) - parseInt(y))
    .map((f) => join(dir, f));
}

/** Generate (or reuse) the fixed photo set: shared sample photos + group pictures of CelebA-HQ heads. */
async function makeSet(work: string, groups: number): Promise<SetPhoto[]> {
  const dir = join(work, `set-${groups}`);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const photos: SetPhoto[] = [];
  const expectedPath = join(shared, 'data', 'photos', 'expected.json');
  if (!existsSync(expectedPath)) throw new Error(`${expectedPath} not found: the benchmark needs the shared sample photos`);
  const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as { photos: Record<string, { faces: number }> };
  for (const [name, e] of Object.entries(expected.photos)) {
    const p = join(dir, `shared_${name}`);
    writeFileSync(p, readFileSync(join(shared, 'data', 'photos', name)));
    photos.push({ path: p, faces: e.faces });
  }
  const heads = hqImages();
  const rand = rng(20240611);
  const sizes: [number, number][] = [[640, 480], [1024, 768], [1600, 1200]];
  let next = 0;
  for (let g = 0; g < groups; g++) {
    const [W, H] = sizes[g % sizes.length];
    const k = 1 + Math.floor(rand() * 9); // 1..9 faces
    const cols = Math.ceil(Math.sqrt(k * (W / H))), rows = Math.ceil(k / cols);
    const cell = Math.floor(Math.min(W / cols, H / rows));
    const cells = Array.from({ length: cols * rows }, (_, i) => i);
    for (let i = cells.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [cells[i], cells[j]] = [cells[j], cells[i]];
    }
    const composites: sharp.OverlayOptions[] = [];
    for (let f = 0; f < k; f++) {
      const size = Math.max(72, Math.floor(cell * (0.55 + 0.4 * rand()))); // heads of 72 px .. 95% of a cell
      const c = cells[f];
      const left = (c % cols) * cell + Math.floor(rand() * (cell - size));
      const top = Math.floor(c / cols) * cell + Math.floor(rand() * (cell - size));
      const input = await sharp(heads[next++ % heads.length]).resize(size, size, { kernel: 'lanczos3' }).toBuffer();
      composites.push({ input, left, top });
    }
    const bg = { r: 90 + Math.floor(rand() * 120), g: 90 + Math.floor(rand() * 120), b: 90 + Math.floor(rand() * 120) };
    const p = join(dir, `group_${String(g).padStart(3, '0')}_${W}x${H}_${k}faces.jpg`);
    await sharp({ create: { width: W, height: H, channels: 3, background: bg } }).composite(composites).jpeg({ quality: 88 }).toFile(p);
    photos.push({ path: p, faces: k });
  }
  writeFileSync(manifest, JSON.stringify(photos, null, 1));
  return photos;
}

/** A folder of `n` symbolic links to the first `n` CelebA-HQ photos (for the memory runs). */
function makeHqFolder(work: string, n: number): string {
  const dir = join(work, `hq-${n}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const heads = hqImages();
  if (heads.length < n) throw new Error(`only ${heads.length} CelebA-HQ photos, ${n} asked`);
  for (let i = 0; i < n; i++) symlinkSync(heads[i], join(dir, `${String(i).padStart(6, '0')}_${basename(heads[i])}`));
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface CliRun {
  seconds: number;
  peakRssMb: number;
  counts: Map<string, number>;
  errors: number;
  stderr: string;
}

/** Run `facetally tag` on `input` as a child process; wall time and peak RSS (polled VmHWM). */
async function runFacetally(input: string, args: Args, out: string, env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  const argv = [join(repoRoot, 'bin', 'facetally.js'), 'tag', input, '--out', out, '--overwrite', '--workers', String(args.workers), '-q'];
  if (args.model) argv.push('--model', args.model);
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, vmHwmKb(child.pid!))), 100);
  const code: number = await new Promise((res) => child.on('exit', (c) => res(c ?? -1)));
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0 && code !== 2) throw new Error(`facetally tag exited ${code}: ${stderr}`);
  const counts = new Map<string, number>();
  let errors = 0;
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { path: string; faces: unknown[]; error: unknown };
    counts.set(r.path, r.faces.length);
    if (r.error) errors++;
  }
  return { seconds, peakRssMb: peak / 1024, counts, errors, stderr };
}

/** Sharp decode of every photo, `concurrency` at a time; best of `repeats` passes. */
async function decodeOnly(paths: string[], concurrency: number, repeats = 2): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    let i = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (i < paths.length) await decodeImageFile(paths[i++]);
      }),
    );
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

/** Aligned faces per second through the attribute model alone (preprocessing + ONNX), see the header. */
async function attributesOnly(args: Args, nFaces = 2000, batch = 32): Promise<{ faces: number; seconds: number; facesPerSecond: number; cpuMsPerFace: number }> {
  const dir = join(shared, 'data', 'celeba', 'img_align_celeba');
  const names = readdirSync(dir).filter((n) => n.endsWith('.jpg')).sort().slice(0, 500);
  if (names.length === 0) throw new Error(`no CelebA aligned images in ${dir}`);
  const crops: RgbImage[] = [];
  for (const n of names) crops.push(await decodeImageFile(join(dir, n)));
  const model = await loadAttributeModel(args.model, { threads: args.workers });
  await model.predict(crops.slice(0, batch)); // warm-up
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let done = 0;
  while (done < nFaces) {
    const start = done % crops.length;
    await model.predict(crops.slice(start, start + batch));
    done += Math.min(batch, crops.length - start);
  }
  const seconds = (performance.now() - t0) / 1000;
  // CPU time of this process (all its threads): less sensitive to other jobs on the machine than the wall time.
  const cpu = process.cpuUsage(c0);
  return { faces: done, seconds, facesPerSecond: done / seconds, cpuMsPerFace: (cpu.user + cpu.system) / 1000 / done };
}

/** Face-count agreement with the known counts. */
function recall(set: SetPhoto[], counts: Map<string, number>) {
  let known = 0, matched = 0, extra = 0, exact = 0, found = 0;
  for (const p of set) {
    const n = counts.get(p.path) ?? 0;
    known += p.faces;
    found += n;
    matched += Math.min(n, p.faces);
    extra += Math.max(0, n - p.faces);
    if (n === p.faces) exact++;
  }
  return { known, found, recall: matched / known, extra, exact, photos: set.length };
}

// ---------------------------------------------------------------------------------------------- competitors

interface ChildResult {
  counts: Record<string, number>;
  loadMs: number;
  runMs: number;
}

/** Node's fetch has no file:// support; the tfjs loaders fetch model files. Serve file:// from disk, refuse the network. */
function localFetchOnly(): void {
  globalThis.fetch = (async (url: string | URL | Request) => {
    const u = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
    if (!u.startsWith('file://')) throw new Error(`network access refused in the benchmark: ${u}`);
    return new Response(await readFile(fileURLToPath(u)), { status: 200 });
  }) as typeof fetch;
}

async function rgbTensor(tf: any, path: string): Promise<any> {
  const img = await decodeImageFile(path);
  return tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
}

async function childHuman(paths: string[]): Promise<ChildResult> {
  localFetchOnly();
  const dist = dirname(require.resolve('@vladmandic/human'));
  const { Human } = require(join(dist, 'human.node-wasm.js'));
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const t0 = performance.now();
  const human = new Human({
    backend: 'wasm',
    wasmPath: `file://${wasmDir}/`,
    modelBasePath: `file://${join(dist, '..', 'models')}/`,
    debug: false,
    face: {
      enabled: true,
      detector: { maxDetected: 100, rotation: false },
      mesh: { enabled: true },
      iris: { enabled: false },
      description: { enabled: true },
      emotion: { enabled: true },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  await human.load();
  await human.warmup();
  if (human.tf.getBackend() !== 'wasm') throw new Error(`human runs on ${human.tf.getBackend()}, not wasm`);
  const loadMs = performance.now() - t0;
  const counts: Record<string, number> = {};
  const t1 = performance.now();
  for (const p of paths) {
    const t = await rgbTensor(human.tf, p);
    const r = await human.detect(t);
    t.dispose();
    counts[p] = r.face.length;
  }
  return { counts, loadMs, runMs: performance.now() - t1 };
}

async function childFaceApi(paths: string[]): Promise<ChildResult> {
  localFetchOnly();
  const dist = dirname(require.resolve('@vladmandic/face-api'));
  const faceapi = require(join(dist, 'face-api.node-wasm.js'));
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`file://${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`, true);
  const t0 = performance.now();
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  if (faceapi.tf.getBackend() !== 'wasm') throw new Error(`face-api runs on ${faceapi.tf.getBackend()}, not wasm`);
  const modelDir = join(dist, '..', 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.ageGenderNet.loadFromDisk(modelDir);
  const loadMs = performance.now() - t0;
  const counts: Record<string, number> = {};
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 });
  const t1 = performance.now();
  for (const p of paths) {
    const t = await rgbTensor(faceapi.tf, p);
    const r = await faceapi.detectAllFaces(t, options).withFaceLandmarks().withAgeAndGender();
    t.dispose();
    counts[p] = r.length;
  }
  return { counts, loadMs, runMs: performance.now() - t1 };
}

/** Run a competitor as `workers` child processes on interleaved shards; wall time includes their startup. */
async function runCompetitor(kind: 'human' | 'faceapi', set: SetPhoto[], args: Args) {
  const shards = Array.from({ length: args.workers }, (_, w) => set.filter((_, i) => i % args.workers === w).map((p) => p.path));
  const t0 = performance.now();
  const results = await Promise.all(
    shards.map(async (paths, w) => {
      const list = join(args.work, `${kind}-${w}.list.json`);
      const result = join(args.work, `${kind}-${w}.result.json`);
      writeFileSync(list, JSON.stringify(paths));
      rmSync(result, { force: true });
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', kind, '--list', list, '--result', result], {
        cwd: repoRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code: number = await new Promise((res) => child.on('exit', (c) => res(c ?? -1)));
      if (code !== 0 || !existsSync(result)) throw new Error(`${kind} child ${w} exited ${code}: ${stderr.slice(-2000)}`);
      return JSON.parse(readFileSync(result, 'utf8')) as ChildResult;
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const counts = new Map<string, number>();
  for (const r of results) for (const [p, n] of Object.entries(r.counts)) counts.set(p, n);
  const runSeconds = Math.max(...results.map((r) => r.runMs)) / 1000;
  return { seconds, runSeconds, counts };
}

// ---------------------------------------------------------------------------------------------- main

const f1 = (v: number) => v.toFixed(1);
const f2 = (v: number) => v.toFixed(2);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    const paths = JSON.parse(readFileSync(args.list!, 'utf8')) as string[];
    const r = args.child === 'human' ? await childHuman(paths) : await childFaceApi(paths);
    writeFileSync(args.result!, JSON.stringify(r));
    return;
  }
  mkdirSync(args.work, { recursive: true });
  const log = (s: string) => process.stderr.write(s + '\n');
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const uptimeBefore = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  log(`machine: ${machine}\nload before: ${uptimeBefore}`);
  if (args.only === 'attributes') {
    const a = await attributesOnly(args);
    const uptimeAfter = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
    console.log(`Attributes only, model ${args.model ?? 'models/celeba-attributes'} (${a.faces} canonical 178x218 crops, batches of 32, preprocessing included, ` +
      `one onnxruntime session with ${args.workers} threads): **${f1(a.facesPerSecond)} aligned faces/s**, ${f2(a.cpuMsPerFace)} CPU ms per face (all threads). Machine: ${machine}; load before: ${uptimeBefore.replace(/.*load average: /, '')}, after: ${uptimeAfter.replace(/.*load average: /, '')}.`);
    if (args.json) writeFileSync(args.json, JSON.stringify({ machine, loadBefore: uptimeBefore, loadAfter: uptimeAfter, workers: args.workers, model: args.model ?? null, attributesOnly: a }, null, 2));
    return;
  }

  log(`generating the photo set (${args.groups} group pictures) under ${args.work} ...`);
  const set = await makeSet(args.work, args.groups);
  const paths = set.map((p) => p.path);
  const setDir = dirname(paths[0]);
  const knownFaces = set.reduce((s, p) => s + p.faces, 0);
  const rows: string[] = [];
  const json: Record<string, unknown> = { machine, loadBefore: uptimeBefore, workers: args.workers, photos: set.length, knownFaces };

  log('decode-only (sharp) ...');
  const decodeS = await decodeOnly(paths, args.workers * 2);
  const decodeRate = set.length / decodeS;
  rows.push(`| sharp decode only (the floor) | ${f1(decodeRate)} | – | – | – |`);
  json.decodeOnly = { seconds: decodeS, photosPerSecond: decodeRate };

  log('facetally start-up (empty folder) ...');
  const empty = join(args.work, 'empty');
  mkdirSync(empty, { recursive: true });
  const startup = await runFacetally(empty, args, join(args.work, 'empty.jsonl'));
  log('facetally tag ...');
  const ft = await runFacetally(setDir, args, join(args.work, 'facetally.jsonl'));
  const ftRecall = recall(set, ft.counts);
  const ftRate = set.length / ft.seconds;
  const ftSteady = set.length / Math.max(1e-3, ft.seconds - startup.seconds);
  rows.push(
    `| **facetally** (${args.workers} worker threads, incl. startup; ${f1(ftSteady)}/s excl. ${f1(startup.seconds)} s start-up) | **${f1(ftRate)}** | ${f1(ftRecall.found / ft.seconds)} | ${f2(ftRecall.recall)} (${ftRecall.exact}/${ftRecall.photos} exact, ${ftRecall.extra} extra) | ${f1(ft.peakRssMb)} |`,
  );
  json.facetally = { seconds: ft.seconds, startupSeconds: startup.seconds, photosPerSecond: ftRate, photosPerSecondExclStartup: ftSteady, ...ftRecall, peakRssMb: ft.peakRssMb };

  const competitors: [string, 'human' | 'faceapi'][] = [
    ['@vladmandic/human 3.3 (wasm; detector+mesh+age/gender+emotion)', 'human'],
    ['@vladmandic/face-api 1.7 (wasm; SSD MobileNet+landmarks+age/gender)', 'faceapi'],
  ];
  for (const [label, kind] of competitors) {
    if (args.skip.has(kind)) continue;
    log(`${kind} ...`);
    try {
      const c = await runCompetitor(kind, set, args);
      const rc = recall(set, c.counts);
      rows.push(
        `| ${label} (${args.workers} processes, incl. startup; ${f2(set.length / c.runSeconds)}/s excl. model load) | ${f2(set.length / c.seconds)} | ${f2(rc.found / c.seconds)} | ${f2(rc.recall)} (${rc.exact}/${rc.photos} exact, ${rc.extra} extra) | – |`,
      );
      json[kind] = { seconds: c.seconds, runSeconds: c.runSeconds, photosPerSecond: set.length / c.seconds, ...rc };
    } catch (err) {
      rows.push(`| ${label} | could not run: ${(err as Error).message.split('\n')[0]} | | | |`);
      json[kind] = { error: (err as Error).message };
    }
  }

  let attrLine = '';
  if (!args.skip.has('attributes')) {
    log('attributes only ...');
    const a = await attributesOnly(args);
    attrLine = `Attributes only (${a.faces} canonical 178x218 crops, batches of 32, preprocessing included, one onnxruntime session with ${args.workers} threads): **${f1(a.facesPerSecond)} aligned faces/s**.`;
    json.attributesOnly = a;
  }

  const rssRows: string[] = [];
  const rss: Record<string, unknown> = (json.rss = {});
  if (!args.skip.has('rss')) {
    for (const arena of args.arenas) {
      const env = { ...process.env };
      if (arena) env.MALLOC_ARENA_MAX = arena;
      const label = arena ? `MALLOC_ARENA_MAX=${arena}` : process.env.MALLOC_ARENA_MAX ? `MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}` : 'default malloc';
      for (const n of args.rss) {
        log(`peak RSS at ${n} photos (${label}) ...`);
        const dir = makeHqFolder(args.work, n);
        const r = await runFacetally(dir, args, join(args.work, `rss-${n}.jsonl`), env);
        const ones = [...r.counts.values()].filter((c) => c === 1).length;
        rssRows.push(`| ${n} | ${label} | ${f1(r.peakRssMb)} | ${f1(n / r.seconds)} | ${ones}/${n} | ${r.errors} |`);
        rss[`${n}${arena ? `-arena${arena}` : ''}`] = { peakRssMb: r.peakRssMb, seconds: r.seconds, photosPerSecond: n / r.seconds, oneFace: ones, errors: r.errors };
      }
    }
  }
  const uptimeAfter = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  json.loadAfter = uptimeAfter;

  const out = [
    `facetally benchmark — ${machine}; --workers ${args.workers}`,
    `load before: ${uptimeBefore}`,
    `load after:  ${uptimeAfter}`,
    '',
    `Photo set: ${set.length} photos (${set.length - args.groups} shared sample photos + ${args.groups} CelebA-HQ group pictures at 640x480, 1024x768, 1600x1200), ${knownFaces} known faces.`,
    '',
    '| tool | photos/s | faces/s | face recall vs known counts | peak RSS MB |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `facetally end to end = ${f1((100 * ftRate) / decodeRate)}% of the decode-only rate (${f1((100 * ftSteady) / decodeRate)}% excluding start-up).`,
  ];
  if (attrLine) out.push('', attrLine);
  if (rssRows.length) {
    out.push('', 'Memory (CelebA-HQ photos, 128x128, one face each):', '', '| photos | allocator | peak RSS MB | photos/s | photos with 1 face | errors |', '|---|---|---|---|---|---|', ...rssRows);
  }
  process.stdout.write(out.join('\n') + '\n');
  if (args.json) writeFileSync(args.json, JSON.stringify(json, null, 1));
}

await main();
