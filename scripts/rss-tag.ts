/**
 * Memory of repeated one-shot library calls: `tag(photo)` N times in one process (each call loads the detector's two
 * models and the attribute model, tags the photo, and releases the three onnxruntime sessions when it is done).
 * Prints the resident set size (RSS) every `--every` calls, and the growth from the first print (taken after the
 * first call, so model code and onnxruntime's arenas are already paged in). Not a test: a figure to read.
 *
 *   npx tsx scripts/rss-tag.ts [--calls 200] [--every 20] [--workers N] [--dist DIR] [PHOTO]
 *
 * `--workers` is passed to `tag()` (default 1: the models load in this thread, where `Tagger.close()` matters;
 * with more, each call starts and stops a worker pool).
 *
 * `--dist` points at another build's `dist/` (e.g. one from before `Tagger.close()` existed) to compare.
 * Run with `node --expose-gc` semantics through tsx: `NODE_OPTIONS=--expose-gc npx tsx scripts/rss-tag.ts` lets the
 * script collect garbage before each print, so the figure is native memory, not JavaScript garbage.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { calls: { type: 'string', default: '200' }, every: { type: 'string', default: '20' }, workers: { type: 'string', default: '1' }, dist: { type: 'string', default: 'dist' } },
  allowPositionals: true,
});
const calls = Number(values.calls), every = Number(values.every);
const photo = positionals[0] ?? 'examples/astronaut.png';
const lib = (await import(pathToFileURL(resolve(values.dist!, 'index.js')).href)) as { tag: (p: string, o?: { workers?: number }) => Promise<{ faces: unknown[] }[]> };
const workers = Number(values.workers);
const gc = (globalThis as { gc?: () => void }).gc;
const mb = () => process.memoryUsage().rss / 2 ** 20;
let first = 0;
console.log(`| calls | RSS (MiB) | growth since call 1 (MiB) |\n|---:|---:|---:|`);
for (let i = 1; i <= calls; i++) {
  const [rec] = await lib.tag(photo, { workers });
  if (rec.faces.length !== 1) throw new Error(`expected one face in ${photo}, found ${rec.faces.length}`);
  if (i === 1 || i % every === 0) {
    gc?.();
    const r = mb();
    if (i === 1) first = r;
    console.log(`| ${i} | ${r.toFixed(1)} | ${(r - first).toFixed(1)} |`);
  }
}
console.log(`\n${calls} calls of tag(${photo}, { workers: ${workers} }) with ${values.dist}; garbage collection before each print: ${gc ? 'yes' : 'no (run with NODE_OPTIONS=--expose-gc)'}`);
