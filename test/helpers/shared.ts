/**
 * Access to the shared data folder (`../shared` beside the repository, or $FACETALLY_SHARED)
 * for tests that need data the repository must not contain (CelebA labels, sample photos).
 *
 * Without the folder such tests are skipped with a message saying why; with
 * FACETALLY_REQUIRE_SHARED=1 they fail instead, so CI that has the data cannot skip silently.
 */

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** The repository root (two levels above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** True when FACETALLY_REQUIRE_SHARED=1: missing shared data is then an error, not a skip. */
export const requireShared = process.env.FACETALLY_REQUIRE_SHARED === '1';

/**
 * Absolute path of the shared folder, or null when it does not exist.
 * $FACETALLY_SHARED wins; otherwise `<repo>/../shared`.
 */
export function sharedDir(): string | null {
  const dir = process.env.FACETALLY_SHARED ? resolve(process.env.FACETALLY_SHARED) : resolve(repoRoot, '..', 'shared');
  return existsSync(dir) ? dir : null;
}

/**
 * Absolute path of `relative` inside the shared folder, or null when the folder or the file is
 * missing. @throws Error when missing and FACETALLY_REQUIRE_SHARED=1.
 */
export function sharedPath(relative: string): string | null {
  const dir = sharedDir();
  const p = dir ? join(dir, relative) : null;
  if (p && existsSync(p)) return p;
  if (requireShared) {
    throw new Error(`shared data ${relative} not found (looked in ${dir ?? '../shared, $FACETALLY_SHARED'}) and FACETALLY_REQUIRE_SHARED=1`);
  }
  return null;
}

/**
 * `describe` that runs only when every path in `needs` exists in the shared folder. Otherwise the
 * block is skipped with a message naming what is missing — or, with FACETALLY_REQUIRE_SHARED=1,
 * a failing test is registered in its place.
 */
export function describeShared(name: string, needs: string[], fn: (paths: string[]) => void): void {
  const dir = sharedDir();
  const paths = needs.map((n) => (dir ? join(dir, n) : null));
  const missing = needs.filter((_, i) => !paths[i] || !existsSync(paths[i] as string));
  if (missing.length === 0) {
    describe(name, () => fn(paths as string[]));
    return;
  }
  const why = `needs shared data ${missing.join(', ')} (in ${dir ?? '../shared or $FACETALLY_SHARED'})`;
  if (requireShared) {
    describe(name, () => {
      it(`shared data is present (FACETALLY_REQUIRE_SHARED=1)`, () => {
        throw new Error(`missing: ${why}`);
      });
    });
  } else {
    reportSkip(name, why);
    describe.skip(`${name} [skipped: ${why}]`, () => {
      it('skipped', () => {});
    });
  }
}

/**
 * Say why tests are skipped on stderr, which vitest's default reporter shows (it lists a skipped test's name only
 * in the verbose reporter), e.g. `[skipped] web app in Chromium (e2e): needs Chromium at /usr/bin/chromium`.
 */
export function reportSkip(name: string, why: string): void {
  console.warn(`[skipped] ${name}: ${why}`);
}
