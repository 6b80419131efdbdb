/**
 * Load test of `facetally serve --api` on loopback (not a test: prints figures for docs/api.md).
 *
 *   npm run build && npx tsx scripts/load-api.ts [--connections 8] [--seconds 20] [--workers 2] [--photo FILE]
 *                                                [--max-requests N] [--max-queue N]
 *
 * Starts the built server (`node bin/facetally.js serve --api --port 0`) as a child process, then autocannon sends
 * POST /v1/tag with one photo's bytes from `--connections` clients for `--seconds` seconds (bounded clients and
 * time). Meanwhile the server's resident memory (VmRSS of the whole process, worker threads included) is sampled
 * every 250 ms. Prints p50/p90/p99 latency of the answered requests, photos/s (200 answers per second), the
 * status codes, and the peak RSS. Exit 1 when any request failed other than by an intended 429/503 (a socket
 * error, a timeout, or another status), so a run that prints figures had no failures.
 * Default photo: the shared group_of_3.jpg when present, else examples/grace_hopper.jpg.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const repo = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    workers: { type: 'string', default: '2' },
    photo: { type: 'string' },
    'max-requests': { type: 'string' },
    'max-queue': { type: 'string' },
  },
});
const shared = resolve(repo, '..', 'shared', 'data', 'photos', 'group_of_3.jpg');
const photo = values.photo ?? (existsSync(shared) ? shared : join(repo, 'examples', 'grace_hopper.jpg'));
const body = readFileSync(photo);
const type = photo.toLowerCase().endsWith('.png') ? 'image/png' : 'image/jpeg';

const args = [join(repo, 'bin', 'facetally.js'), 'serve', '--api', '--port', '0', '--workers', values.workers!];
if (values['max-requests']) args.push('--max-requests', values['max-requests']);
if (values['max-queue']) args.push('--max-queue', values['max-queue']);
const server = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const url = await new Promise<string>((ok, fail) => {
  let err = '';
  server.stderr.on('data', (d) => {
    err += d;
    const m = /the API is at (http:\/\/\S+\/v1\/)/.exec(err);
    if (m) ok(m[1]);
  });
  server.on('exit', (code) => fail(new Error(`server exited (${code}): ${err}`)));
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const idleRss = rssMb(server.pid!);
let peakRss = idleRss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(server.pid!))), 250);

// One warm-up request (first inference allocates the sessions' buffers), not counted.
await fetch(`${url}tag`, { method: 'POST', body: new Uint8Array(body), headers: { 'Content-Type': type } });

const connections = Number(values.connections), seconds = Number(values.seconds);
const result = await autocannon({
  url: `${url}tag`,
  method: 'POST',
  headers: { 'content-type': type },
  body,
  connections,
  duration: seconds,
  timeout: 120,
});
clearInterval(sampler);
const health = (await (await fetch(`${url}health`)).json()) as Record<string, unknown>;
server.kill('SIGTERM');

const codes = result.statusCodeStats as Record<string, { count: number }> | undefined;
const byCode = Object.fromEntries(Object.entries(codes ?? {}).map(([k, v]) => [k, v.count]));
const ok = byCode['200'] ?? 0;
const intended = (byCode['429'] ?? 0) + (byCode['503'] ?? 0);
const other = Object.entries(byCode).filter(([k]) => !['200', '429', '503'].includes(k)).reduce((s, [, n]) => s + n, 0);
const failed = result.errors + result.timeouts + other;

console.log(`facetally serve --api load test (${new Date().toISOString()})`);
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores, load average before the run ${loadavg()[0].toFixed(2)}`);
console.log(`photo: ${photo} (${body.length} bytes); ${connections} connections for ${seconds} s; ${values.workers} workers`);
console.log(`status codes: ${JSON.stringify(byCode)}; socket errors ${result.errors}; timeouts ${result.timeouts}`);
console.log(`latency of all answers (ms): p50 ${result.latency.p50}, p90 ${result.latency.p90}, p99 ${result.latency.p99}, max ${result.latency.max}`);
console.log(`photos/s (200 answers): ${(ok / seconds).toFixed(2)}; requests/s incl. 429/503: ${((ok + intended) / seconds).toFixed(2)}`);
console.log(`server RSS: ${idleRss.toFixed(0)} MB idle (models loaded), peak ${peakRss.toFixed(0)} MB under load`);
console.log(`server health after the run: ${JSON.stringify(health)}`);
if (failed > 0) {
  console.error(`FAILED: ${failed} requests failed other than by an intended 429/503`);
  process.exit(1);
}
