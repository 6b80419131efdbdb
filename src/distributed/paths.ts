/**
 * `--path-map FROM=TO` of `facetally worker`: parsing and prefix rewriting. Apart from `worker.ts` (which loads
 * bullmq) so that the command line can check the option before anything else is loaded.
 */

/**
 * Rewrite the first matching prefix of `path` (`--path-map FROM=TO`): `/mnt/photos/a.jpg` with
 * `['/mnt/photos', '/data/photos']` becomes `/data/photos/a.jpg`. A prefix matches whole path components only
 * (`/mnt/photos` does not match `/mnt/photos2/a.jpg`).
 */
export function mapPath(path: string, map: readonly [string, string][]): string {
  for (const [from, to] of map) {
    const f = from.replace(/\/+$/, '');
    if (path === f) return to;
    if (path.startsWith(f + '/')) return to.replace(/\/+$/, '') + path.slice(f.length);
  }
  return path;
}

/**
 * Parse `FROM=TO` (`--path-map`). @throws Error with the expected form when there is no `=` or a side is empty.
 */
export function parsePathMap(v: string): [string, string] {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new Error(`--path-map ${JSON.stringify(v)}: expected FROM=TO, e.g. /mnt/photos=/data/photos`);
  return [v.slice(0, i), v.slice(i + 1)];
}
