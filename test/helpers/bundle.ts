/** Bundle a module for the browser and list the Node-only imports it pulls in (tests of `facetally/browser`). */
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Specifiers that only Node can load: its built-ins (with and without `node:`), sharp, onnxruntime-node. */
const NODE_ONLY = new Set(['sharp', 'onnxruntime-node', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * Bundle `entry` for the browser with esbuild (platform 'browser', ESM, everything inlined except `external`), as a
 * web developer's bundler would, without writing anything.
 * @param root paths in the answer are relative to it (esbuild's metafile paths are relative to the working directory).
 * @returns `found`: `specifier <- importer` for every import of a Node built-in, sharp or onnxruntime-node met (each
 *   left out of the bundle); `bytes`: size of the output; `inputs`: the files bundled (metafile paths).
 */
export async function nodeOnlyImports(entry: string, root: string, external: string[] = []): Promise<{ found: string[]; bytes: number; inputs: string[] }> {
  const found: string[] = [];
  const recorder: Plugin = {
    name: 'node-only-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.startsWith('node:') ? args.path : args.path.split('/')[0];
        if (NODE_ONLY.has(args.path) || NODE_ONLY.has(bare)) {
          found.push(`${args.path} <- ${relative(root, args.importer)}`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
  const res = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // onnxruntime-web's WebAssembly files are assets (`new URL('….wasm', import.meta.url)`), not code.
    loader: { '.wasm': 'file' },
    absWorkingDir: root,
    external,
    outdir: join(root, 'browser-bundle-test-unwritten'),
    plugins: [recorder],
  });
  const bytes = res.outputFiles.reduce((n, f) => n + f.contents.length, 0);
  return { found, bytes, inputs: Object.keys(res.metafile.inputs) };
}

