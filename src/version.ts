import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * facetally's version, read from the package.json one folder above this file (`src/` when running from source,
 * `dist/` when built; both sit in the package root).
 */
export const FACETALLY_VERSION: string = (
  JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string }
).version;
