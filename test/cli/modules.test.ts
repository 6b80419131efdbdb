import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared.js';

describe('CLI module structure', () => {
  it('no command module imports cli/main (main imports every command; shared options live in cli/options.ts)', () => {
    const dir = join(repoRoot, 'src', 'cli');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'main.ts');
    expect(files).toContain('tag.ts');
    const importers = files.filter((f) => /from '\.\/main\.js'/.test(readFileSync(join(dir, f), 'utf8')));
    expect(importers).toEqual([]);
  });

  it('command modules load the heavy parts (report, server, queue, eval, crop, sample, draw) only when their command runs', () => {
    // Every command module is imported when `facetally` starts; a static import of these would load vega,
    // vega-lite, hono, bullmq or ioredis for every command (--version took 0.8 s with them, 0.25 s without).
    const lazy = ['report/run-compare', 'server/serve', 'server/api', 'distributed/worker', 'distributed/coordinator', 'distributed/queue', 'eval/run', 'eval/format', 'pipeline/crop', 'pipeline/sample', 'draw/overlay', 'analysis/inputs'];
    const dir = join(repoRoot, 'src', 'cli');
    const offenders: string[] = [];
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const m = /^import (?!type )[^;]*from '\.\.\/([^']+)\.js';/.exec(line);
        if (m && lazy.includes(m[1])) offenders.push(`${f}: ${line}`);
      }
    }
    expect(offenders).toEqual([]);
    // The check sees real imports: the serve command does import its defaults statically.
    expect(readFileSync(join(dir, 'serve.ts'), 'utf8')).toMatch(/^import \{[^}]*DEFAULT_PORT[^}]*\} from '\.\.\/server\/defaults\.js';$/m);
  });

  it('addPipelineOptions adds the shared detector options with their defaults', async () => {
    const { Command } = await import('commander');
    const { addPipelineOptions } = await import('../../src/cli/options.js');
    const cmd = addPipelineOptions(new Command('x')).exitOverride();
    cmd.parse(['node', 'x', '--min-face', '48'], { from: 'node' });
    expect(cmd.opts()).toEqual({ scoreThreshold: 0.7, minFace: 48, maxPixels: 100, threads: 1 });
  });
});
