/**
 * Distributed tagging benchmark (prints figures; not a test). Needs `npm run build` (dist/) and redis-server.
 *
 *   npm run bench:distributed -- [--celeba 300] [--jobs 100000] [--cores 2] [--skip runs|memory]
 *
 * On a private redis-server (free 127.0.0.1 port, no persistence), on one machine:
 * 1. The same photos (the shared sample photos + `--celeba` CelebA aligned images) tagged by the local pool
 *    (`tag --workers C`), by a coordinator + 1 worker (`--concurrency C`), and by a coordinator + 2 workers
 *    (`--concurrency C/2` each), C = `--cores`: wall time from start to exit (process start and model loading
 *    included), photos/s, the queue's overhead per photo against the local run, the coordinator's CPU seconds per
 *    photo (user + system, from the shell's `times`), and Redis's CPU and commands per photo (INFO cpu and
 *    INFO commandstats before and after). Outputs are checked to be byte-identical.
 * 2. Bytes per job: the JSON of a job's data as the coordinator enqueues it (path only, and with --send-bytes for
 *    the same photos), and of a record as a worker returns it.
 * 3. Redis memory per queued photo: `--jobs` jobs of the coordinator's shape added (batches of 1000 through BullMQ's
 *    addBulk) to a queue that no worker reads, `used_memory` from INFO memory before and after.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { TestRedis } from '../test/helpers/redis.js';
import { modelFingerprint } from '../src/distributed/queue.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const nCeleba = Number(arg('celeba', '300'));
const nJobs = Number(arg('jobs', '100000'));
const cores = Number(arg('cores', '2'));
const skip = arg('skip', '').split(',');
const repo = resolve(import.meta.dirname, '..');
const shared = process.env.FACETALLY_SHARED ?? resolve(repo, '..', 'shared');
const bin = join(repo, 'bin', 'facetally.js');
const photosDir = join(shared, 'data', 'photos');
const celebaDir = join(shared, 'data', 'celeba', 'img_align_celeba');
const celeba = readdirSync(celebaDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, nCeleba).map((f) => join(celebaDir, f));
const inputs = [photosDir, ...celeba];
const nPhotos = readdirSync(photosDir).filter((f) => /\.(png|jpe?g)$/i.test(f)).length + celeba.length;
const work = mkdtempSync(join(tmpdir(), 'facetally-bench-dist-'));

/** Run `node bin/facetally.js …` in bash and return wall seconds, CPU seconds (user + sys of the process tree) and stderr. */
function run(argv: string[]): Promise<{ wall: number; cpu: number; rate: number; stderr: string }> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const p = spawn('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} ${quoted}; code=$?; times >&2; exit $code`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b) => (stderr += b));
    p.on('exit', (code) => {
      const wall = (performance.now() - t0) / 1000;
      const t = stderr.trim().split('\n').pop()!.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
      const cpu = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : NaN;
      const rate = Number(stderr.match(/\(([\d.]+) photos\/s/)?.[1] ?? NaN);
      if (code !== 0 && code !== 2) fail(new Error(`facetally ${argv[0]} exited ${code}: ${stderr}`));
      else done({ wall, cpu, rate, stderr });
    });
  });
}

function startWorker(url: string, concurrency: number): Promise<{ stop: () => Promise<void> }> {
  const p = spawn(process.execPath, [bin, 'worker', '--queue', url, '--concurrency', String(concurrency), '--log-every', '100000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((ready, fail) => {
    p.stderr.on('data', (b) => {
      err += b;
      if (/models loaded/.test(err)) ready({ stop: () => new Promise((r) => (p.once('exit', () => r()), p.kill('SIGTERM'))) });
    });
    p.once('exit', (code) => fail(new Error(`worker exited ${code}: ${err}`)));
  });
}

async function redisStats(redis: Redis): Promise<{ cpu: number; calls: number }> {
  const cpu = await redis.info('cpu');
  const c = (k: string) => Number(cpu.match(new RegExp(`${k}:([\\d.]+)`))?.[1] ?? 0);
  const stats = await redis.info('commandstats');
  let calls = 0;
  for (const m of stats.matchAll(/calls=(\d+)/g)) calls += Number(m[1]);
  return { cpu: c('used_cpu_sys') + c('used_cpu_user'), calls };
}

const redisServer = await TestRedis.create();
const redis = new Redis(redisServer.url);
const line = (s: string) => process.stdout.write(s + '\n');
try {
  line(`# facetally distributed benchmark: ${nPhotos} photos (${nPhotos - celeba.length} shared sample photos + ${celeba.length} CelebA), ${cores} cores for tagging, one machine`);
  if (!skip.includes('runs')) {
    const local = await run(['tag', ...inputs, '--out', join(work, 'local.jsonl'), '--workers', String(cores)]);
    const rows: string[] = [`| local pool (--workers ${cores}) | ${local.wall.toFixed(1)} | ${local.rate.toFixed(2)} | – | – | – | – |`];
    for (const [label, conc] of [
      [`coordinator + 1 worker (--concurrency ${cores})`, [cores]],
      [`coordinator + 2 workers (--concurrency ${cores / 2} each)`, [cores / 2, cores / 2]],
    ] as const) {
      const workers = await Promise.all(conc.map((c) => startWorker(redisServer.url, Math.max(1, c))));
      const before = await redisStats(redis);
      const out = join(work, `queue-${conc.length}.jsonl`);
      const r = await run(['tag', ...inputs, '--queue', redisServer.url, '--out', out]);
      const after = await redisStats(redis);
      await Promise.all(workers.map((w) => w.stop()));
      const same = readFileSync(out, 'utf8') === readFileSync(join(work, 'local.jsonl'), 'utf8');
      rows.push(
        `| ${label} | ${r.wall.toFixed(1)} | ${r.rate.toFixed(2)} | ${((1 / r.rate - 1 / local.rate) * 1000).toFixed(1)} ms (${((local.rate / r.rate - 1) * 100).toFixed(1)} %) | ${((r.cpu / nPhotos) * 1000).toFixed(2)} ms | ${(((after.cpu - before.cpu) / nPhotos) * 1000).toFixed(3)} ms, ${((after.calls - before.calls) / nPhotos).toFixed(1)} | ${same ? 'yes' : 'NO'} |`,
      );
    }
    line('\n| run | wall s, start to exit (local: models loaded included; queue: workers already running) | photos/s after start-up (from the summary) | queue overhead per photo vs local (1/rate difference) | coordinator CPU per photo | Redis CPU and commands per photo | output identical to local |');
    line('|---|---|---|---|---|---|---|');
    for (const r of rows) line(r);
  }

  // Bytes per job and per record.
  const model = await modelFingerprint();
  const options = { scoreThreshold: 0.75, minFaceSize: 32, maxPixels: 100e6 };
  const jobOf = (p: string, bytes?: Buffer) => JSON.stringify({ run: '2b1c9a8e-5f0e-4e55-9d57-3f9c2c4c7d10', seq: 123456, path: p, abs: resolve(p), options, model, ...(bytes ? { bytes: bytes.toString('base64') } : {}) });
  const samplePaths = inputs.slice(1, 101);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const pathJob = mean(samplePaths.map((p) => jobOf(p).length));
  const sentCeleba = mean(samplePaths.map((p) => jobOf(p, readFileSync(p)).length));
  const shot = readdirSync(photosDir).filter((f) => /\.(png|jpe?g)$/i.test(f)).map((f) => join(photosDir, f));
  const sentPhotos = mean(shot.map((p) => jobOf(p, readFileSync(p)).length));
  const photoBytes = mean(shot.map((p) => statSync(p).size));
  const local = join(work, 'local.jsonl');
  let recordBytes = NaN;
  try {
    const recs = readFileSync(local, 'utf8').split('\n').filter(Boolean);
    recordBytes = mean(recs.map((r) => r.length + 60));
  } catch {
    // runs skipped
  }
  line(`\nJob data (JSON): ${pathJob.toFixed(0)} bytes with a path (CelebA paths of ${mean(samplePaths.map((p) => resolve(p).length)).toFixed(0)} characters); with --send-bytes ${sentCeleba.toFixed(0)} bytes for CelebA images and ${sentPhotos.toFixed(0)} bytes for the sample photos (${photoBytes.toFixed(0)} bytes on disk on average: base64 adds a third).`);
  if (Number.isFinite(recordBytes)) line(`Returned value (record + worker name): ${recordBytes.toFixed(0)} bytes on average over the run above.`);

  if (!skip.includes('memory')) {
    const q = new Queue('facetally-bench-memory', { connection: redis });
    await redis.flushall();
    const before = Number((await redis.info('memory')).match(/used_memory:(\d+)/)![1]);
    for (let i = 0; i < nJobs; i += 1000) {
      await q.addBulk(
        Array.from({ length: Math.min(1000, nJobs - i) }, (_, k) => {
          const p = samplePaths[(i + k) % samplePaths.length];
          const data = JSON.parse(jobOf(p)) as Record<string, unknown>;
          data.seq = i + k;
          return { name: 'tag', data, opts: { jobId: `2b1c9a8e-5f0e-4e55-9d57-3f9c2c4c7d10-${i + k}`, removeOnComplete: true, removeOnFail: true, attempts: 3, backoff: { type: 'fixed', delay: 1000 } } };
        }),
      );
    }
    const after = Number((await redis.info('memory')).match(/used_memory:(\d+)/)![1]);
    const per = (after - before) / nJobs;
    line(`\nRedis memory: ${nJobs} waiting jobs took ${((after - before) / 1024 / 1024).toFixed(1)} MiB (used_memory ${before} → ${after}): ${per.toFixed(0)} bytes per queued photo, ${((per * 1e6) / 1024 / 1024 / 1024).toFixed(2)} GiB per million.`);
    await q.close();
  }
} finally {
  redis.disconnect();
  await redisServer.dispose();
  rmSync(work, { recursive: true, force: true });
}
