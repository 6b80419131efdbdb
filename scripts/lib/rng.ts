/**
 * The seeded generator of the benchmark and measurement scripts: mulberry32 (Tommy Ettinger's 32-bit generator,
 * public domain). It fixes which CelebA-HQ heads, sizes and positions a script composes for a seed, so the bench
 * set's 136 known faces and the detection-recall composites come out the same on every run. Not the generator of
 * `facetally compare` (src/analysis/random.ts, xoshiro128**), and not for cryptography.
 * @returns a function giving uniform numbers in [0, 1), 32 random bits each.
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
