/**
 * The local server of the web app (`facetally serve`): static files of the Vite build (dist/web) and the three
 * model files. It accepts only GET and HEAD — there is no endpoint a photo could be sent to; inference runs in
 * the browser. Bound to 127.0.0.1 by default, with a Host-header check against DNS rebinding and a
 * Content-Security-Policy that lets the page talk to this server only.
 */

import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { DEFAULT_MODEL_DIR } from '../attributes/load-node.js';
import { parseSidecar, type Sidecar } from '../attributes/sidecar.js';
import { blazefaceModelPaths } from '../detect/load-node.js';
import { createApiApp, DEFAULT_API_LIMITS, type ApiOptions } from './api.js';

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. Default 5177. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Attribute model folder (attributes.json + ONNX). Default: the shipped model. */
  modelDir?: string;
  /** The built web app. Default: dist/web of this package. */
  webDir?: string;
  /**
   * Also serve the HTTP API under /v1 (`facetally serve --api`, see api.ts). Without a `token`, only a loopback
   * `host` is allowed.
   */
  api?: Omit<ApiOptions, 'sidecar'>;
}

/** A running server. */
export interface RunningServer {
  /** e.g. "http://127.0.0.1:5177/" */
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export { DEFAULT_PORT, isLoopback } from './defaults.js';
import { DEFAULT_PORT, isLoopback } from './defaults.js';

/**
 * The Vite build of this package: dist/web, seen from dist/server/serve.js (`../web`) or, when running from
 * source (tests, tsx), from src/server/serve.ts (`../../dist/web`; src/web itself holds the unbuilt sources).
 */
export function defaultWebDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(dirname(here)) === 'src' ? resolve(here, '../../dist/web') : resolve(here, '../web');
}


const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may load code, styles, images and data from this server only (`connect-src 'self'`: no request
 * can leave it), may compile WebAssembly, and shows photos from blob: URLs made in the page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'self' blob:",
  "frame-ancestors 'self'",
].join('; ');

/** What the app serves; checked once at startup. */
interface ServedFiles {
  webDir: string;
  sidecarPath: string;
  sidecar: Sidecar;
  attributesOnnx: string;
  blazeface: Record<string, string>;
}

/**
 * Check that the web build and the models exist and load the sidecar.
 * @throws Error naming what is missing (web app not built, model folder without attributes.json, …).
 */
export function resolveServedFiles(options: Pick<ServeOptions, 'modelDir' | 'webDir'> = {}): ServedFiles {
  const webDir = resolve(options.webDir ?? defaultWebDir());
  if (!existsSync(join(webDir, 'index.html'))) throw new Error(`web app not built: ${join(webDir, 'index.html')} is missing (run \`npm run build\`)`);
  const modelDir = resolve(options.modelDir ?? DEFAULT_MODEL_DIR);
  const sidecarPath = join(modelDir, 'attributes.json');
  if (!existsSync(sidecarPath)) throw new Error(`${sidecarPath}: attribute model sidecar not found (expected attributes.json and its ONNX file in ${modelDir}; use --model DIR)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(sidecarPath, 'utf8'));
  } catch (err) {
    throw new Error(`${sidecarPath}: not valid JSON (${(err as Error).message})`);
  }
  const sidecar = parseSidecar(json, sidecarPath);
  if (sidecar.model.includes('/') || sidecar.model.includes('\\') || sidecar.model.startsWith('.')) {
    throw new Error(`${sidecarPath}: "model" must be a file name beside the sidecar but is "${sidecar.model}"`);
  }
  const attributesOnnx = join(modelDir, sidecar.model);
  if (!existsSync(attributesOnnx)) throw new Error(`${attributesOnnx}: attribute model not found (named by ${sidecarPath})`);
  const bf = blazefaceModelPaths();
  const blazeface = Object.fromEntries([bf.back, bf.front].map((p) => [p.slice(p.lastIndexOf('/') + 1), p]));
  return { webDir, sidecarPath, sidecar, attributesOnnx, blazeface };
}

/**
 * The Hono app: GET/HEAD of the web build, `/models/blazeface/<file>.onnx`, `/models/attributes/attributes.json`
 * and `/models/attributes/<sidecar.model>`, and with `api` the /v1 routes of api.ts. Everything else is 404; other
 * methods 405.
 * @param allowedHosts when given, requests whose Host header names another host get 403 (DNS rebinding guard).
 */
export function createApp(files: ServedFiles, allowedHosts: ((host: string) => boolean) | null = null, api: ServeOptions['api'] = undefined): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    const isApi = !!api && new URL(c.req.url).pathname.startsWith('/v1/');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !isApi) {
      return c.text('facetally serves files only; photos are analysed in your browser and never sent here\n', 405, { Allow: 'GET, HEAD' });
    }
    if (allowedHosts) {
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '');
      if (!allowedHosts(host)) return c.text(`forbidden host "${host}"\n`, 403);
    }
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  });

  if (api) app.route('/v1', createApiApp({ ...api, sidecar: files.sidecar }));

  app.get('/models/blazeface/:name', (c) => {
    const p = files.blazeface[c.req.param('name')];
    return p ? sendFile(c, p, 'no-cache') : c.notFound();
  });
  app.get('/models/attributes/:name', (c) => {
    const name = c.req.param('name');
    if (name === 'attributes.json') return sendFile(c, files.sidecarPath, 'no-cache');
    if (name === files.sidecar.model) return sendFile(c, files.attributesOnnx, 'no-cache');
    return c.notFound();
  });
  app.get('*', async (c) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.text('bad path\n', 400);
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const root = files.webDir;
    const p = resolve(root, '.' + rel);
    if (p !== root && !p.startsWith(root + sep)) return c.notFound();
    const immutable = rel.startsWith('/assets/');
    return sendFile(c, p, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
  app.notFound((c) => c.text('not found\n', 404));
  return app;
}

/**
 * Send a file with an ETag (its size and modification time) and answer a matching If-None-Match with 304 and no
 * body (RFC 9110 §13.1.2), so a browser revalidates the `no-cache` models on each visit instead of downloading them
 * again: the attribute model may be tens of MB (an ensemble), the page fetches it on every load.
 */
async function sendFile(c: Context, path: string, cache: string): Promise<Response> {
  let etag: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) return c.notFound();
    etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  } catch {
    return c.notFound();
  }
  c.header('ETag', etag);
  c.header('Cache-Control', cache);
  const inm = c.req.header('if-none-match');
  if (inm && (inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) return c.body(null, 304);
  const body = await readFile(path);
  c.header('Content-Type', MIME[extname(path).toLowerCase()] ?? 'application/octet-stream');
  c.header('Content-Length', String(body.length));
  if (c.req.method === 'HEAD') return c.body(null);
  return c.body(new Uint8Array(body).buffer);
}

/**
 * Check the files, then listen. Resolves once the port is bound.
 * @throws Error when the web build or a model is missing, or the port cannot be bound (message names it).
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const files = resolveServedFiles(options);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  const loopbackOnly = isLoopback(host);
  if (options.api && !loopbackOnly && !options.api.token) {
    throw new Error(`the API on ${host} would let anyone who can reach it send photos: give a token with --token or FACETALLY_TOKEN (clients then send Authorization: Bearer <token>), or listen on 127.0.0.1`);
  }
  const app = createApp(files, loopbackOnly ? (h) => isLoopback(h) : null, options.api);
  // A request (headers and body) not received within the API's time limit is answered 408 by Node and closed:
  // a slow client cannot hold a connection and its buffers forever. Checked every second.
  const timeoutMs = options.api ? (options.api.limits?.timeoutMs ?? DEFAULT_API_LIMITS.timeoutMs) : 300_000;
  const serverOptions = { requestTimeout: timeoutMs, headersTimeout: Math.min(timeoutMs, 60_000), connectionsCheckingInterval: Math.min(1000, timeoutMs) };
  const server: ServerType = await new Promise((ok, fail) => {
    const s = serve({ fetch: app.fetch, port, hostname: host, serverOptions }, () => ok(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') fail(new Error(`port ${port} on ${host} is already in use (choose another with --port)`));
      else if (err.code === 'EADDRNOTAVAIL') fail(new Error(`cannot bind ${host}: no such local address`));
      else fail(new Error(`cannot listen on ${host}:${port}: ${err.message}`));
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shown}:${addr.port}/`,
    port: addr.port,
    host,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
