/**
 * The second phase of two-phase (double) sampling: a seeded simple random sample of faces in each group, to be
 * labelled by hand (`facetally sample`). Pure; no I/O.
 *
 * Each group's sample is a simple random sample without replacement of that group's faces, so the predictive
 * values measured in it are unbiased for the group (Tenenbein, "A double sampling scheme for estimating from
 * binomial data with misclassifications", JASA 65, 1970; Cochran, "Sampling Techniques", 3rd ed. 1977, §12.2).
 */

import { createRng } from './random.js';

/** One face that can be sampled: the photo record's path, the face's index in that record, its group. */
export interface SampleUnit {
  path: string;
  /** 0-based index into the record's `faces`. */
  face: number;
  group: string;
}

/**
 * Draw up to `perGroup` faces per group by simple random sampling without replacement (partial Fisher–Yates
 * shuffle, Knuth TAOCP vol. 2 §3.4.2, with the seeded xoshiro128** generator). Each group's draw depends only
 * on the seed, the group's name and its own faces (in input order), so adding a group leaves the others'
 * samples unchanged. A group with fewer faces than `perGroup` is taken whole.
 *
 * The returned rows are shuffled across groups (seeded), so that whoever labels them sees the groups mixed and
 * labels every group under the same conditions.
 *
 * @param units all faces, in a stable order (e.g. record order, then face index)
 * @param perGroup faces per group, a positive integer
 * @param seed any integer (truncated to 32 bits)
 * @throws RangeError when perGroup is not a positive integer
 */
export function drawLabellingSample(units: readonly SampleUnit[], perGroup: number, seed: number): SampleUnit[] {
  if (!Number.isInteger(perGroup) || perGroup <= 0) throw new RangeError(`expected a positive integer for perGroup but received ${perGroup}`);
  const byGroup = new Map<string, SampleUnit[]>();
  for (const u of units) {
    const list = byGroup.get(u.group) ?? [];
    list.push(u);
    byGroup.set(u.group, list);
  }
  const chosen: SampleUnit[] = [];
  for (const [group, list] of byGroup) {
    const rng = createRng(hash32(seed, group));
    const a = list.slice();
    const k = Math.min(perGroup, a.length);
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(a.length - i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    chosen.push(...a.slice(0, k));
  }
  const rng = createRng(hash32(seed, '\u0000order'));
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
  }
  return chosen;
}

/** FNV-1a of the seed and a string: a 32-bit seed per group. */
function hash32(seed: number, s: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of s) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
