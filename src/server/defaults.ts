/**
 * Defaults of `facetally serve` that its command line needs before anything is served: kept apart from
 * `api.ts` and `serve.ts` (which load hono) so that every other command starts without loading the server.
 */

/** Default port of `facetally serve`. */
export const DEFAULT_PORT = 5177;

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Limits of the API. Defaults: {@link DEFAULT_API_LIMITS}. */
export interface ApiLimits {
  /** Largest request body in bytes (the whole multipart body, or the raw image). */
  maxBodyBytes: number;
  /** Most files in one multipart request. */
  maxFiles: number;
  /** Requests being answered at once (reading the body, or waiting for their photos); more get 429. */
  maxRequests: number;
  /** Photos queued or on a worker at once, over all requests; a request that would pass it gets 503. */
  maxQueue: number;
  /** Milliseconds a request may take from its first byte to its answer (body 408, tagging 503). */
  timeoutMs: number;
}

/** Documented defaults (docs/api.md; flags of `facetally serve --api`). */
export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 25 * 1024 * 1024,
  maxFiles: 16,
  maxRequests: 32,
  maxQueue: 64,
  timeoutMs: 60_000,
};
