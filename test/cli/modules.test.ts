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

  it('addPipelineOptions adds the shared detector options with their defaults', async () => {
    const { Command } = await import('commander');
    const { addPipelineOptions } = await import('../../src/cli/options.js');
    const cmd = addPipelineOptions(new Command('x')).exitOverride();
    cmd.parse(['node', 'x', '--min-face', '48'], { from: 'node' });
    expect(cmd.opts()).toEqual({ scoreThreshold: 0.7, minFace: 48, maxPixels: 100, threads: 1 });
  });
});
