/**
 * Messages between the page (src/web/main.ts and its views) and the inference worker (src/web/worker.ts).
 * Photos go to the worker as `File` objects (structured clone within the page's process); nothing is sent
 * over the network.
 */

import type { CompareResult } from '../analysis/compare.js';
import type { PhotoResult } from '../types.js';
import type { WebCompareRequest } from './compare.js';

/** Page → worker. */
export type ToWorker =
  | { type: 'init' }
  | { type: 'tag'; id: number; file: Blob; path: string }
  | { type: 'compare'; request: WebCompareRequest };

/** What the page needs to know about the attribute model. */
export interface ModelInfo {
  name: string;
  attributes: string[];
  thresholds: Record<string, number>;
  validationSplit: string;
  validationN: number;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; model: ModelInfo; seconds: number }
  | { type: 'init-error'; message: string }
  | { type: 'started'; id: number }
  | { type: 'result'; id: number; result: PhotoResult; ms: number }
  | { type: 'compare-result'; result: CompareResult; html: string; csv: string; json: string; charts: { id: string; title: string; svg: string }[] }
  | { type: 'compare-error'; message: string };
