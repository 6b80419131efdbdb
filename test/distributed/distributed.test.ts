/**
 * Distributed tagging on a private redis-server (test/helpers/redis.ts): a coordinator (`tag --queue`) and two
 * `facetally worker` processes give output byte-identical to a local run over the shared photos, 100 CelebA
 * images, a duplicate and two unreadable files; and still do when a worker is SIGKILLed mid-run, when the
 * coordinator is SIGKILLed and resumed, when Redis is killed and restarted mid-run (nothing persisted), and with
 * --send-bytes to workers that cannot see the files.
 *
 * No sleeps that guess timing: faults are injected once the output holds a given number of records, and the
 * tests then wait for the processes' own messages and exits. Workers run with --stall-timeout 3 so that a dead
 * worker's photos are retried within seconds. Runs the built command line (`npm test` builds dist/ first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, TestRedis } from '../helpers/redis.js';
import { describeShared, repoRoot } from '../helpers/shared.js';

const bin = join(repoRoot, 'bin', 'facetally.js');
const modelArgs = process.env.FACETALLY_TEST_MODEL_DIR ? ['--model', process.env.FACETALLY_TEST_MODEL_DIR] : [];
const requireRedis = process.env.CI === 'true' || process.env.FACETALLY_REQUIRE_SHARED === '1';

/** A facetally process whose stderr is collected; `waitFor` resolves when stderr matches. */
class Proc {
  readonly child: ChildProcess;
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: { re: RegExp; resolve: () => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    live.add(this.child);
    this.child.stderr!.on('data', (b: Buffer) => {
      this.stderr += b.toString();
      this.waiters = this.waiters.filter((w) => (w.re.test(this.stderr) ? (w.resolve(), false) : true));
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        live.delete(this.child);
        resolve(code);
      }),
    );
  }

  waitFor(re: RegExp): Promise<void> {
    if (re.test(this.stderr)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Resolves once `file` holds at least `n` complete lines (checked every 20 ms). */
async function waitForLines(file: string, n: number, proc: Proc): Promise<void> {
  for (;;) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').length - 1 >= n) return;
    if (proc.child.exitCode !== null) throw new Error(`process exited before ${n} records were written: ${proc.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startWorker(url: string, extra: string[] = []): Proc {
  return new Proc(['worker', '--queue', url, '--concurrency', '1', '--stall-timeout', '3', '--log-every', '1000', ...modelArgs, ...extra]);
}

const paths = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l).path as string);

if (!haveRedisServer() && !requireRedis) {
  describe.skip('distributed tagging [skipped: needs redis-server (apt-get install redis-server)]', () => {
    it('skipped', () => {});
  });
} else {
  describeShared('distributed tagging: coordinator and workers on BullMQ (needs dist/ and redis-server)', ['data/photos', 'data/celeba/img_align_celeba'], ([photosDir, celebaDir]) => {
    let redis: TestRedis;
    let dir: string;
    let inputs: string[];
    let reference: string;
    let workers: Proc[] = [];

    const coordinator = (out: string, extra: string[] = []) =>
      new Proc(['tag', ...inputs, '--queue', redis.url, '--out', out, '--run-ttl', '2', ...modelArgs, ...extra]);

    beforeAll(async () => {
      expect(haveRedisServer(), 'redis-server is not installed (.ci/run installs it from Debian)').toBe(true);
      redis = await TestRedis.create();
      dir = mkdtempSync(join(tmpdir(), 'facetally-dist-'));
      const extras = join(dir, 'extras');
      spawnSync('mkdir', [extras]);
      copyFileSync(join(photosDir, 'astronaut.png'), join(extras, 'astronaut copy.png')); // duplicate_of
      writeFileSync(join(extras, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 1, 2, 3]));
      writeFileSync(join(extras, 'text.jpg'), 'not a photo');
      const celeba = readdirSync(celebaDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 100).map((f) => join(celebaDir, f));
      inputs = [photosDir, extras, ...celeba];
      reference = join(dir, 'reference.jsonl');
      const r = spawnSync(process.execPath, [bin, 'tag', ...inputs, '--out', reference, '--workers', '2', '-q', ...modelArgs], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2); // broken.jpg and text.jpg cannot be read
      const recs = readFileSync(reference, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(recs).toHaveLength(9 + 3 + 100);
      expect(recs.find((x) => x.path.endsWith('astronaut copy.png')).duplicate_of).toBe(join(photosDir, 'astronaut.png'));
      expect(recs.filter((x) => x.error).map((x) => x.error.code).sort()).toEqual(['corrupt_image', 'unsupported_format']);
      workers = [startWorker(redis.url), startWorker(redis.url)];
      await Promise.all(workers.map((w) => w.waitFor(/models loaded/)));
    });

    afterAll(async () => {
      for (const c of live) c.kill('SIGKILL');
      await redis?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a coordinator and two workers write exactly the local run, byte for byte, with the same exit code', async () => {
      const out = join(dir, 'plain.jsonl');
      const c = coordinator(out);
      expect(await c.exited, c.stderr).toBe(2);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
      expect(c.stderr).toMatch(/facetally tag: 112 photos, \d+ faces, 2 errors, 1 duplicate in .* 2 workers\)/);
      expect(c.stderr).toMatch(/2 photos could not be read/);
    });

    it('a worker SIGKILLed mid-run: its photos are taken by the other, each photo is written once, same output', async () => {
      const out = join(dir, 'worker-killed.jsonl');
      const c = coordinator(out);
      await waitForLines(out, 25, c);
      const [victim, survivor] = workers;
      expect(await victim.kill('SIGKILL')).toBe(null);
      expect(await c.exited, c.stderr).toBe(2);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
      workers = [survivor, startWorker(redis.url)];
      await workers[1].waitFor(/models loaded/);
    });

    it('the coordinator SIGKILLed and resumed: each photo once, same output; the earlier run\'s jobs are ignored', async () => {
      const out = join(dir, 'coordinator-killed.jsonl');
      const first = coordinator(out);
      await waitForLines(out, 30, first);
      expect(await first.kill('SIGKILL')).toBe(null);
      const written = paths(readFileSync(out, 'utf8')).length;
      expect(written).toBeGreaterThanOrEqual(30);
      expect(written).toBeLessThan(112);
      const second = coordinator(out, ['--resume']);
      expect(await second.exited, second.stderr).toBe(0); // the two unreadable photos were among those written before the kill
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
      expect(second.stderr).toMatch(new RegExp(`resumed: ${written} photos were already in the output`));
    });

    it('Redis killed and restarted mid-run (nothing persisted): the coordinator says so, enqueues again what was lost, same output', async () => {
      const out = join(dir, 'redis-restarted.jsonl');
      const c = coordinator(out);
      await waitForLines(out, 25, c);
      await redis.stop();
      await c.waitFor(/lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+ \(.*\); waiting for it to come back/);
      await redis.start();
      expect(await c.exited, c.stderr).toBe(2);
      expect(c.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is back/);
      expect(c.stderr).toMatch(/no longer in Redis .*enqueued again/);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
    });

    it('--send-bytes to workers that cannot see the files (--path-map to a missing folder): same output; SIGTERM stops a worker cleanly', async () => {
      for (const w of workers) {
        expect(await w.kill('SIGTERM'), w.stderr).toBe(0);
        expect(w.stderr).toMatch(/facetally worker: stopped; \d+ photos done/);
      }
      workers = [startWorker(redis.url, ['--path-map', '/=/nonexistent-facetally-mount/']), startWorker(redis.url, ['--path-map', '/=/nonexistent-facetally-mount/'])];
      await Promise.all(workers.map((w) => w.waitFor(/models loaded/)));
      // Without the bytes these workers see no photo at all: every record would be not_found.
      const blind = join(dir, 'blind.jsonl');
      const b = new Proc(['tag', join(photosDir, 'astronaut.png'), '--queue', redis.url, '--out', blind, ...modelArgs]);
      expect(await b.exited, b.stderr).toBe(2);
      expect(JSON.parse(readFileSync(blind, 'utf8')).error.code).toBe('not_found');
      const out = join(dir, 'sent.jsonl');
      const c = coordinator(out, ['--send-bytes']);
      expect(await c.exited, c.stderr).toBe(2);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
      // The 16 MiB limit: exactly 16 MiB is sent (the worker finds no image in it), 17 MiB is not.
      const limit = join(dir, 'limit');
      spawnSync('mkdir', [limit]);
      writeFileSync(join(limit, 'a-16MiB.jpg'), Buffer.alloc(16 * 1024 * 1024, 0x20));
      writeFileSync(join(limit, 'b-17MiB.jpg'), Buffer.alloc(17 * 1024 * 1024, 0x20));
      const tooBig = join(dir, 'too-big.jsonl');
      const t = new Proc(['tag', limit, '--queue', redis.url, '--out', tooBig, '--send-bytes', ...modelArgs]);
      expect(await t.exited, t.stderr).toBe(2);
      const [sent, refused] = readFileSync(tooBig, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(sent.error.code).toBe('unsupported_format');
      expect(sent.sha256).toBe(createHash('sha256').update(Buffer.alloc(16 * 1024 * 1024, 0x20)).digest('hex'));
      expect(refused.error).toEqual({
        code: 'too_large_to_send',
        message: `${join(limit, 'b-17MiB.jpg')}: 17.0 MiB, over the 16.0 MiB limit of --send-bytes (put the photos on storage the workers can read)`,
      });
    });

    it('a photo that kills every worker that tags it ends as an internal_error record after 3 deaths, not in an endless loop', async () => {
      // The "poison" is a large noise photo (seconds of work), so that the worker tagging it is found and killed
      // (by the pid in BullMQ's processedBy field) long before it could finish. After its third stall BullMQ marks
      // the job for failure (field "defa") and the next worker fails it without tagging: that worker is spared.
      const poison = join(dir, 'poison.jpg');
      await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toFile(poison);
      const out = join(dir, 'poison.jsonl');
      const c = new Proc(['tag', poison, '--queue', redis.url, '--out', out, '--send-bytes', ...modelArgs]);
      const r = new Redis(redis.url);
      let kills = 0;
      try {
        while (c.child.exitCode === null) {
          for (const id of await r.lrange('bull:facetally-tag:active', 0, -1)) {
            const [data, pb, defa] = await r.hmget(`bull:facetally-tag:${id}`, 'data', 'pb', 'defa');
            if (!data || !pb || defa || JSON.parse(data).path !== poison) continue;
            const victim = workers.find((w) => w.child.pid === Number(pb.split(':').pop()));
            if (!victim) continue;
            await victim.kill('SIGKILL');
            kills++;
            workers = [...workers.filter((w) => w !== victim), startWorker(redis.url, ['--path-map', '/=/nonexistent-facetally-mount/'])];
          }
          await new Promise((res) => setTimeout(res, 20));
        }
      } finally {
        r.disconnect();
      }
      expect(await c.exited, c.stderr).toBe(2);
      expect(kills).toBe(3);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
        path: poison,
        faces: [],
        error: { code: 'internal_error', message: `${poison}: workers stopped while tagging this photo 3 times (died, or lost their connection); given up` },
      });
    });
  });
}
