/**
 * Vite build of the web app (src/web → dist/web), run by `npm run build` after tsc.
 * Everything the page needs is in dist/web, including onnxruntime-web's WebAssembly runtime (Vite emits the
 * .wasm that `onnxruntime-web/wasm` references with `new URL(..., import.meta.url)` as a hashed asset), so
 * `facetally serve` works offline; the models are served by the server itself.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/web',
  base: '/',
  publicDir: false,
  worker: { format: 'es' },
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
    sourcemap: false,
  },
  logLevel: 'warn',
});
