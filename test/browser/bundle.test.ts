/**
 * The browser entry (`facetally/browser`, src/browser/index.ts) bundles for the browser without any Node-only code:
 * esbuild bundles it as a web developer's bundler would (platform 'browser', every dependency inlined) and a plugin
 * records every import of a Node built-in (`fs`, `node:fs`, …), sharp or onnxruntime-node, with the file that made it.
 * The list must be empty. The same check on the Node entry (src/index.ts) must find sharp, onnxruntime-node and
 * Node built-ins, so the check itself is shown to work.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeOnlyImports } from '../helpers/bundle.js';
import { repoRoot } from '../helpers/shared.js';

describe('facetally/browser bundles for the browser', () => {
  it('pulls in no Node built-in, sharp or onnxruntime-node', async () => {
    const { found, bytes, inputs } = await nodeOnlyImports(join(repoRoot, 'src', 'browser', 'index.ts'), repoRoot);
    expect(found).toEqual([]);
    // It is the real pipeline: the detector, the alignment, the attribute model and onnxruntime-web are in it.
    for (const f of ['src/detect/blazeface.ts', 'src/align/warp.ts', 'src/attributes/model.ts', 'src/browser/pipeline.ts']) {
      expect(inputs).toContain(f);
    }
    expect(inputs.some((f) => f.includes('node_modules/onnxruntime-web/'))).toBe(true);
    expect(inputs.some((f) => f.includes('node_modules/sharp/') || f.includes('node_modules/onnxruntime-node/'))).toBe(false);
    expect(bytes).toBeGreaterThan(100_000);
  });

  it('the same check finds the Node-only imports of the Node entry (the check can fail)', async () => {
    const { found } = await nodeOnlyImports(join(repoRoot, 'src', 'index.ts'), repoRoot);
    const specifiers = new Set(found.map((f) => f.split(' <- ')[0]));
    expect(specifiers.has('sharp')).toBe(true);
    expect(specifiers.has('onnxruntime-node')).toBe(true);
    expect(specifiers.has('node:fs/promises')).toBe(true);
    expect(found).toContain('sharp <- src/image/decode.ts');
  });
});
