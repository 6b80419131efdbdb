import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/analysis/random.js';
import { bootstrapCorrected, correctionProblem, quantileSorted, roganGladen } from '../../src/analysis/rogan-gladen.js';

describe('roganGladen', () => {
  it('inverts a = Se p + (1 - Sp)(1 - p)', () => {
    for (const [p, se, sp] of [[0.3, 0.85, 0.9], [0.02, 0.6, 0.99], [0.9, 0.95, 0.7]]) {
      const a = se * p + (1 - sp) * (1 - p);
      expect(roganGladen(a, se, sp)).toBeCloseTo(p, 12);
    }
    // Worked example: a = 0.40, Se = 0.80, Sp = 0.90 -> (0.40 + 0.90 - 1) / 0.70 = 0.428571.
    expect(roganGladen(0.4, 0.8, 0.9)).toBeCloseTo(0.4285714286, 10);
  });
  it('clips to [0, 1]', () => {
    expect(roganGladen(0.01, 0.8, 0.95)).toBe(0);
    expect(roganGladen(0.99, 0.9, 0.95)).toBe(1);
  });
  it('rejects chance-level classifiers and out-of-range input', () => {
    expect(() => roganGladen(0.3, 0.5, 0.5)).toThrow(/> 1/);
    expect(() => roganGladen(1.2, 0.9, 0.9)).toThrow(/apparent/);
    expect(correctionProblem({ tp: 0, fn: 0, tn: 5, fp: 1 })).toMatch(/sensitivity is unknown/);
    expect(correctionProblem({ tp: 3, fn: 7, tn: 5, fp: 5 })).toMatch(/no better than chance/);
    expect(correctionProblem({ tp: 8, fn: 2, tn: 9, fp: 1 })).toBeNull();
  });
});

describe('quantileSorted', () => {
  it('is R type 7', () => {
    const x = [1, 2, 3, 4, 10];
    expect(quantileSorted(x, 0)).toBe(1);
    expect(quantileSorted(x, 0.5)).toBe(3);
    expect(quantileSorted(x, 0.9)).toBeCloseTo(7.6, 12);
    expect(quantileSorted(x, 1)).toBe(10);
  });
});

describe('bootstrapCorrected', () => {
  const validation = { tp: 850, fn: 150, tn: 2700, fp: 300 };
  it('gives the RG estimate inside its interval and is reproducible', () => {
    const groups = [{ count: 120, n: 400 }, { count: 50, n: 300 }, { count: 0, n: 0 }];
    const a = bootstrapCorrected(groups, validation, { replicates: 500, rng: createRng(9) });
    const b = bootstrapCorrected(groups, validation, { replicates: 500, rng: createRng(9) });
    expect(a.groups).toEqual(b.groups);
    expect(a.sensitivity).toBeCloseTo(0.85, 12);
    expect(a.specificity).toBeCloseTo(0.9, 12);
    const g = a.groups[0]!;
    expect(g.estimate).toBeCloseTo((0.3 + 0.9 - 1) / 0.75, 12);
    expect(g.lower).toBeLessThan(g.estimate);
    expect(g.upper).toBeGreaterThan(g.estimate);
    expect(a.groups[2]).toBeNull();
    expect(a.replicates[0].length).toBe(500);
  });
  it('flags an estimate clipped at 1 or 0 (raw prevalence above Se, or below 1 - Sp)', () => {
    // Se 0.85, Sp 0.9: raw 0.9 > Se gives (0.9 - 0.1) / 0.75 = 1.067 -> 1, clipped at 1; raw 0.05 < 1 - Sp gives
    // (0.05 - 0.1) / 0.75 < 0 -> 0, clipped at 0; raw 0.3 gives 0.267, not clipped.
    const r = bootstrapCorrected([{ count: 90, n: 100 }, { count: 5, n: 100 }, { count: 30, n: 100 }], validation, { replicates: 300, rng: createRng(3) });
    expect(r.groups.map((g) => [g!.estimate, g!.clipped])).toEqual([[1, 'at 1'], [0, 'at 0'], [expect.closeTo(0.2 / 0.75, 12), null]]);
    expect(r.groups[0]!.upper).toBe(1);
    expect(r.groups[1]!.lower).toBe(0);
  });
  it('is wider when the validation set is small', () => {
    const g = [{ count: 300, n: 1000 }];
    const big = bootstrapCorrected(g, validation, { replicates: 1000, rng: createRng(1) }).groups[0]!;
    const small = bootstrapCorrected(g, { tp: 17, fn: 3, tn: 54, fp: 6 }, { replicates: 1000, rng: createRng(1) }).groups[0]!;
    expect(small.upper - small.lower).toBeGreaterThan(1.5 * (big.upper - big.lower));
  });
  it('rejects bad input', () => {
    expect(() => bootstrapCorrected([{ count: 5, n: 3 }], validation, { rng: createRng(1) })).toThrow(RangeError);
    expect(() => bootstrapCorrected([{ count: 1, n: 3 }], { tp: 1, fn: 1, tn: 1, fp: 1 }, { rng: createRng(1) })).toThrow(/chance/);
    expect(() => bootstrapCorrected([{ count: 1, n: 3 }], validation, { rng: createRng(1), replicates: 0 })).toThrow(/replicates/);
  });

  it('covers the true prevalence about 95% of the time on synthetic data with known Se and Sp', () => {
    // Scenarios like the attribute model's: moderate Se/Sp, validation sets of hundreds to
    // thousands, groups of hundreds of faces. 3 x 400 trials: SE of the coverage ~0.0063.
    const scenarios = [
      { p: 0.3, se: 0.85, sp: 0.9, n: 500, vpos: 2000, vneg: 6000 },
      { p: 0.1, se: 0.7, sp: 0.95, n: 1000, vpos: 1000, vneg: 9000 },
      { p: 0.5, se: 0.9, sp: 0.9, n: 200, vpos: 500, vneg: 500 },
    ];
    const rng = createRng(2024);
    let covered = 0;
    let trials = 0;
    for (const s of scenarios) {
      for (let t = 0; t < 400; t++) {
        const tp = rng.binomial(s.vpos, s.se);
        const tn = rng.binomial(s.vneg, s.sp);
        const count = rng.binomial(s.n, s.se * s.p + (1 - s.sp) * (1 - s.p));
        const g = bootstrapCorrected([{ count, n: s.n }], { tp, fn: s.vpos - tp, tn, fp: s.vneg - tn }, { replicates: 1000, rng }).groups[0]!;
        if (g.lower <= s.p && s.p <= g.upper) covered++;
        trials++;
      }
    }
    const coverage = covered / trials;
    console.log(`synthetic coverage of the 95% corrected interval: ${coverage.toFixed(3)} (${trials} trials)`);
    expect(coverage).toBeGreaterThan(0.93);
    expect(coverage).toBeLessThan(0.975);
  });

  it('resampling the validation counts matters: without it a small validation set under-covers', () => {
    // 40 positive and 160 negative validation images: Se and Sp are themselves uncertain.
    // "Fixed" scales the validation counts by 1000, i.e. treats Se and Sp as known exactly.
    const rng = createRng(77);
    const s = { p: 0.3, se: 0.8, sp: 0.9, n: 2000, vpos: 40, vneg: 160 };
    let covered = 0;
    let coveredFixed = 0;
    for (let t = 0; t < 400; t++) {
      const tp = rng.binomial(s.vpos, s.se);
      const tn = rng.binomial(s.vneg, s.sp);
      const count = rng.binomial(s.n, s.se * s.p + (1 - s.sp) * (1 - s.p));
      const v = { tp, fn: s.vpos - tp, tn, fp: s.vneg - tn };
      const vFixed = { tp: tp * 1000, fn: (s.vpos - tp) * 1000, tn: tn * 1000, fp: (s.vneg - tn) * 1000 };
      const g = bootstrapCorrected([{ count, n: s.n }], v, { replicates: 1000, rng }).groups[0]!;
      const f = bootstrapCorrected([{ count, n: s.n }], vFixed, { replicates: 1000, rng }).groups[0]!;
      if (g.lower <= s.p && s.p <= g.upper) covered++;
      if (f.lower <= s.p && s.p <= f.upper) coveredFixed++;
    }
    console.log(`200-image validation set: coverage ${(covered / 400).toFixed(3)} resampling Se/Sp, ${(coveredFixed / 400).toFixed(3)} treating them as known`);
    expect(covered / 400).toBeGreaterThan(0.9);
    expect(coveredFixed / 400).toBeLessThan(0.8);
  });
});

describe('corrected interval at the boundaries', () => {
  it('keeps its width for 0/n and n/n groups (no false certainty from tiny groups)', () => {
    const validation = { tp: 900, fn: 100, tn: 950, fp: 50 };
    const r = bootstrapCorrected([{ count: 0, n: 4 }, { count: 4, n: 4 }], validation, { rng: createRng(3), replicates: 4000 });
    const [g0, g4] = r.groups;
    // Reference: the same simulation with 4,000,000 draws in NumPy (Se* ~ Beta(900.5, 100.5), Sp* ~ Beta(950.5,
    // 50.5), a* ~ Beta(0.5, 4.5) or Beta(4.5, 0.5)): upper 97.5% point 0.4644 for 0/4 (the Jeffreys point
    // 0.4448, corrected (0.4448 + 0.95 − 1) / 0.85 = 0.4644), lower 2.5% point 0.5948 for 4/4. With 4,000
    // replicates the percentile's Monte Carlo standard error is sqrt(0.975·0.025/4000) / density ≈ 0.0094 for
    // both (Beta density 0.262 per corrected unit there): the bounds below are 4 of them.
    expect(g0!.lower).toBe(0);
    expect(Math.abs(g0!.upper - 0.4644)).toBeLessThan(0.038);
    expect(g4!.upper).toBe(1);
    expect(Math.abs(g4!.lower - 0.5948)).toBeLessThan(0.038);
    // the raw Wilson upper bound for 0/4 is 0.49: the corrected interval is of the same order, not [0, 0]
  });
  it('drops replicates whose resampled Se + Sp <= 1 and counts them', () => {
    // Validation 3/4 positives and 3/4 negatives right: Se* and Sp* ~ Beta(3.5, 1.5); P(Se* + Sp* <= 1) =
    // 0.0784 (numerical integration with SciPy), so about 314 of 4,000 replicates (SD 17) are dropped.
    const r = bootstrapCorrected([{ count: 2, n: 10 }, { count: 6, n: 10 }], { tp: 3, fn: 1, tn: 3, fp: 1 }, { rng: createRng(5), replicates: 4000 });
    expect(r.dropped).toBeGreaterThan(314 - 4 * 17);
    expect(r.dropped).toBeLessThan(314 + 4 * 17);
    for (const reps of r.replicates) expect(reps.length).toBe(4000 - r.dropped);
    expect(r.replicates[0].every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});
