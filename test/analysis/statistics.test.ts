import { describe, expect, it } from 'vitest';
import { newcombeDifference, wilsonInterval, zFor } from '../../src/analysis/wilson.js';
import {
  benjaminiHochberg,
  chiSquareSurvival,
  chiSquareTest,
  cramersV,
  fisherExact2x2,
  hypergeometric,
  monteCarloTest,
  testEqualPrevalence,
} from '../../src/analysis/tests.js';
import { createRng, type Rng } from '../../src/analysis/random.js';

// Reference values below were computed independently with SciPy 1.17 (scipy.stats.chi2_contingency
// with correction=False, fisher_exact, chi2.sf, false_discovery_control) or taken from the papers.

describe('wilsonInterval', () => {
  it('7 of 20 gives (0.1812, 0.5671)', () => {
    const w = wilsonInterval(7, 20);
    expect(w.lower).toBeCloseTo(0.1811918, 6);
    expect(w.upper).toBeCloseTo(0.5671457, 6);
  });
  it('is exactly 0 / 1 at the ends and stays inside [0, 1]', () => {
    expect(wilsonInterval(0, 10)).toEqual({ lower: 0, upper: expect.closeTo(0.2775328, 6) });
    expect(wilsonInterval(10, 10)).toEqual({ lower: expect.closeTo(0.7224672, 6), upper: 1 });
    const w = wilsonInterval(1, 1000);
    expect(w.lower).toBeCloseTo(0.000176546, 8);
    expect(w.upper).toBeCloseTo(0.005642559, 8);
  });
  it('matches the worked examples of Newcombe (1998a), method 3 (score interval without continuity correction)', () => {
    // Newcombe, "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17, 1998.
    const cases: [number, number, number, number][] = [[81, 263, 0.2553, 0.3662], [15, 148, 0.0624, 0.1605], [0, 20, 0, 0.1611], [1, 29, 0.0061, 0.1718]];
    for (const [k, n, lo, hi] of cases) {
      const w = wilsonInterval(k, n);
      expect(w.lower).toBeCloseTo(lo, 4);
      expect(w.upper).toBeCloseTo(hi, 4);
    }
  });
  it('at 90% and 99%: SciPy-based reference (score formula with scipy.stats.norm.ppf)', () => {
    expect(wilsonInterval(7, 20, 0.9).lower).toBeCloseTo(0.2022600401, 8);
    expect(wilsonInterval(7, 20, 0.9).upper).toBeCloseTo(0.5334873112, 8);
    expect(wilsonInterval(0, 10, 0.99)).toEqual({ lower: 0, upper: expect.closeTo(0.3988540933, 8) });
  });
  it('is wider at 99% than at 95%', () => {
    const a = wilsonInterval(30, 100, 0.95);
    const b = wilsonInterval(30, 100, 0.99);
    expect(b.lower).toBeLessThan(a.lower);
    expect(b.upper).toBeGreaterThan(a.upper);
    expect(zFor(0.95)).toBeCloseTo(1.959964, 6);
  });
  it('rejects bad input', () => {
    expect(() => wilsonInterval(1, 0)).toThrow(RangeError);
    expect(() => wilsonInterval(5, 4)).toThrow(/count/);
    expect(() => wilsonInterval(1.5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 4, 1)).toThrow(/confidence/);
  });
});

describe('newcombeDifference', () => {
  it("matches Newcombe (1998) Table II, method 10", () => {
    const a = newcombeDifference(56, 70, 48, 80);
    expect(a.difference).toBeCloseTo(0.2, 10);
    expect(a.lower).toBeCloseTo(0.0524, 4);
    expect(a.upper).toBeCloseTo(0.3339, 4);
    const b = newcombeDifference(9, 10, 3, 10);
    expect(b.lower).toBeCloseTo(0.1705, 4);
    expect(b.upper).toBeCloseTo(0.809, 4);
    // The table's boundary cases: a zero count, and both counts at the ends.
    for (const [k1, n1, k2, n2, lo, hi] of [[5, 56, 0, 29, -0.0381, 0.1926], [0, 10, 0, 20, -0.1611, 0.2775], [10, 10, 0, 20, 0.6791, 1]]) {
      const d = newcombeDifference(k1, n1, k2, n2);
      expect(d.lower).toBeCloseTo(lo, 4);
      expect(d.upper).toBeCloseTo(hi, 4);
    }
  });
  it('at 99%: SciPy-based reference (method 10 from score limits with scipy.stats.norm.ppf)', () => {
    for (const [k1, n1, k2, n2, lo, hi] of [[56, 70, 48, 80, 0.0054, 0.3718], [9, 10, 3, 10, 0.043, 0.8374], [10, 10, 0, 20, 0.5297, 1]]) {
      const d = newcombeDifference(k1, n1, k2, n2, 0.99);
      expect(d.lower).toBeCloseTo(lo, 4);
      expect(d.upper).toBeCloseTo(hi, 4);
    }
  });
});

describe('chiSquareSurvival', () => {
  it('agrees with SciPy chi2.sf in the body and far tail', () => {
    expect(chiSquareSurvival(3.84, 1)).toBeCloseTo(0.0500435212, 9);
    expect(chiSquareSurvival(12.5, 3)).toBeCloseTo(0.0058526626, 9);
    expect(chiSquareSurvival(0.5, 4)).toBeCloseTo(0.9735009788, 9);
    expect(chiSquareSurvival(40, 5) / 1.493367900050393e-7).toBeCloseTo(1, 8);
    expect(chiSquareSurvival(500, 1) / 9.505397766554137e-111).toBeCloseTo(1, 8);
  });
  it('agrees with SciPy chi2.sf on a grid crossing both branches (x/2 <= df/2 + 1 and the continued fraction)', () => {
    // scipy.stats.chi2.sf(x, df), SciPy 1.17, for x in [0.1, 1, 2.5, 5, 10, 30] (not 1 - jStat's CDF, which is
    // what the code itself computes in one branch: that comparison could not fail).
    const xs = [0.1, 1, 2.5, 5, 10, 30];
    const scipy: [number, number[]][] = [
      [1, [0.751829634046, 0.317310507863, 0.113846298007, 0.0253473186775, 0.001565402258, 4.32046305783e-08]],
      [2, [0.951229424501, 0.606530659713, 0.28650479686, 0.0820849986239, 0.00673794699909, 3.05902320502e-07]],
      [3, [0.991837423732, 0.801251956901, 0.475291083343, 0.171797144297, 0.018566135463, 1.38005703129e-06]],
      [7, [0.999997688581, 0.994828536517, 0.927097065013, 0.659963229694, 0.188573467513, 9.49597250813e-05]],
      [39, [1, 1, 1, 0.99999999999, 0.999999300162, 0.849177889099]],
    ];
    for (const [df, ps] of scipy) xs.forEach((x, i) => expect(chiSquareSurvival(x, df) / ps[i]).toBeCloseTo(1, 9));
  });
  it('is exp(-x/2) for df = 2', () => {
    for (const x of [0.3, 4, 25, 200]) expect(chiSquareSurvival(x, 2) / Math.exp(-x / 2)).toBeCloseTo(1, 9);
  });
});

describe('chiSquareTest', () => {
  it('2 x 3 table [[10,20,30],[20,20,10]]: X2 = 12.5278, df 2, p = 0.0019038', () => {
    const r = chiSquareTest([[10, 20, 30], [20, 20, 10]]);
    expect(r.statistic).toBeCloseTo(12.527777778, 8);
    expect(r.df).toBe(2);
    expect(r.p).toBeCloseTo(0.0019038276, 9);
    expect(r.expected[0][0]).toBeCloseTo(16.363636, 5);
  });
  it('3 x 2 table [[12,5],[7,9],[3,14]]: X2 = 9.6692, p = 0.0079497, V = 0.43976', () => {
    const t = [[12, 5], [7, 9], [3, 14]];
    const r = chiSquareTest(t);
    expect(r.statistic).toBeCloseTo(9.669237013, 8);
    expect(r.p).toBeCloseTo(0.0079497205, 9);
    expect(cramersV(t)).toBeCloseTo(0.4397553186, 9);
  });
  it('drops empty rows and columns', () => {
    const r = chiSquareTest([[12, 5, 0], [0, 0, 0], [3, 14, 0]]);
    expect(r.df).toBe(1);
    expect(chiSquareTest([[3, 0], [4, 0]]).p).toBe(1);
  });
  it('rejects malformed tables', () => {
    expect(() => chiSquareTest([[1, 2], [3]])).toThrow(/cells/);
    expect(() => chiSquareTest([[1, -2]])).toThrow(/non-negative/);
  });
});

describe('fisherExact2x2', () => {
  it("Fisher's tea-tasting table [[3,1],[1,3]]: two-sided p = 0.4857", () => {
    expect(fisherExact2x2([[3, 1], [1, 3]])).toBeCloseTo(0.4857142857, 9);
  });
  it('agrees with SciPy on other tables', () => {
    expect(fisherExact2x2([[1, 9], [11, 3]])).toBeCloseTo(0.0027594562, 9);
    expect(fisherExact2x2([[2, 7], [8, 2]])).toBeCloseTo(0.0230141376, 9);
    expect(fisherExact2x2([[0, 5], [0, 5]])).toBe(1);
  });
  it('needs a 2 x 2 table', () => {
    expect(() => fisherExact2x2([[1, 2, 3], [4, 5, 6]])).toThrow(/2 x 2/);
  });
});

describe('benjaminiHochberg', () => {
  it('matches a hand-worked example', () => {
    // p sorted: .005 .01 .03 .04 .041 .2 (m = 6); m/j * p: .03 .03 .06 .06 .0492 .2;
    // running minimum from the top: .03 .03 .0492 .0492 .0492 .2.
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.2, 0.041]);
    const want = [0.03, 0.0492, 0.0492, 0.03, 0.2, 0.0492];
    q.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });
  it('leaves nulls out of the family and caps at 1', () => {
    const q = benjaminiHochberg([0.02, null, 0.9, NaN]);
    expect(q[1]).toBeNull();
    expect(q[3]).toBeNull();
    expect(q[0]).toBeCloseTo(0.04, 12);
    expect(q[2]).toBeCloseTo(0.9, 12);
    expect(benjaminiHochberg([1, 1, 1])).toEqual([1, 1, 1]);
    expect(() => benjaminiHochberg([1.5])).toThrow(RangeError);
  });
});

describe('monteCarloTest and testEqualPrevalence', () => {
  it('Monte Carlo p agrees with the asymptotic p on a large table', () => {
    const t = [[40, 160], [55, 145], [62, 138]];
    const mc = monteCarloTest(t, createRng(7), 4999);
    const chi = chiSquareTest(t);
    expect(Math.abs(mc.p - chi.p)).toBeLessThan(0.01);
    expect(mc.statistic).toBeCloseTo(chi.statistic, 10);
  });
  it('Monte Carlo p of a 2 x 2 table is close to the exact conditional (Fisher) p', () => {
    const t = [[1, 9], [11, 3]];
    expect(Math.abs(monteCarloTest(t, createRng(3), 19999).p - fisherExact2x2(t))).toBeLessThan(0.002);
  });
  it('chooses the method by expected counts', () => {
    const rng = createRng(1);
    expect(testEqualPrevalence([[30, 70], [50, 50]], rng)?.method).toBe('chi-square');
    expect(testEqualPrevalence([[3, 1], [1, 3]], rng)?.method).toBe('fisher-exact');
    expect(testEqualPrevalence([[3, 1], [1, 3]], rng)?.p).toBeCloseTo(0.4857142857, 9);
    expect(testEqualPrevalence([[1, 30], [0, 30], [4, 30]], rng)?.method).toBe('monte-carlo-exact');
    expect(testEqualPrevalence([[30, 70], [50, 50], [45, 55]], rng)?.method).toBe('chi-square');
    expect(testEqualPrevalence([[0, 10], [0, 12]], rng)).toMatchObject({ method: 'constant', p: 1 });
    expect(testEqualPrevalence([[3, 10], [0, 0]], rng)).toBeNull();
  });
});

describe('binomial sampler', () => {
  it('has the right mean and variance in both regimes', () => {
    const rng = createRng(11);
    for (const [n, p] of [[20, 0.1], [5000, 0.3], [100000, 0.97], [40, 0.5]] as const) {
      const N = 20000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < N; i++) {
        const x = rng.binomial(n, p);
        expect(x >= 0 && x <= n && Number.isInteger(x)).toBe(true);
        s += x;
        s2 += x * x;
      }
      const mean = s / N;
      const variance = s2 / N - mean * mean;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(mean - n * p)).toBeLessThan((5 * sd) / Math.sqrt(N));
      expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.95);
      expect(variance / (n * p * (1 - p))).toBeLessThan(1.05);
    }
  });
  it('is reproducible from the seed', () => {
    const a = createRng(5);
    const b = createRng(5);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
    expect(createRng(6).next()).not.toBe(createRng(5).next());
  });
});

describe('hypergeometric (the per-cell draw of Patefield AS 159)', () => {
  it('draws with the hypergeometric probabilities (SciPy hypergeom.pmf(k, 25, 9, 6))', () => {
    const pmf = [0.0452173913, 0.2219762846, 0.3699604743, 0.2656126482, 0.0853754941, 0.0113833992, 0.0004743083];
    const rng = createRng(11);
    const freq = new Array<number>(7).fill(0);
    const B = 200_000;
    for (let b = 0; b < B; b++) freq[hypergeometric(rng, 6, 9, 25)]++;
    // Standard error at most 0.0011: 0.005 is 4.5 of them.
    freq.forEach((f, k) => expect(Math.abs(f / B - pmf[k])).toBeLessThan(0.005));
  });
  it('returns the only possible value of a degenerate draw', () => {
    const rng = createRng(1);
    expect(hypergeometric(rng, 5, 0, 10)).toBe(0);
    expect(hypergeometric(rng, 10, 4, 10)).toBe(4);
    expect(hypergeometric(rng, 8, 7, 10)).toBeGreaterThanOrEqual(5);
  });
});

describe('monteCarloTest against exact conditional p-values', () => {
  // Exact p = P(X²* >= X²) over all tables with the observed margins (multivariate hypergeometric), enumerated
  // with SciPy 1.17 (scipy.stats.multivariate_hypergeom.pmf), independently of the sampler under test.
  const cases: [number[][], number, number][] = [
    [[[1, 30], [0, 30], [4, 30]], 4.807084124, 0.1245189744],
    [[[2, 3], [0, 6], [5, 1]], 8.605238095, 0.0106951872],
    [[[1, 9], [11, 3]], 10.971428571, 0.0027594562],
    [[[0, 8], [1, 7], [0, 9], [3, 4]], 8.326530612, 0.0239432703],
  ];
  for (const [t, x2, p] of cases) {
    it(`${JSON.stringify(t)}: X² = ${x2}, exact p = ${p}`, () => {
      const mc = monteCarloTest(t, createRng(5), 99_999);
      expect(mc.statistic).toBeCloseTo(x2, 8);
      // Standard error sqrt(p(1-p)/B) <= 0.00105 at B = 99,999: 0.004 is nearly 4 of them.
      expect(Math.abs(mc.p - p)).toBeLessThan(0.004);
    });
  }
  it('uses one uniform per row and replicate, however large the columns (O(B·r))', () => {
    let calls = 0;
    const base = createRng(9);
    const counting: Rng = {
      next: () => (calls++, base.next()),
      int: (n) => (calls++, base.int(n)),
      binomial: (n, q) => (calls++, base.binomial(n, q)),
    };
    // One tiny group beside two large ones: before, each replicate drew all 9,001 present faces one by one.
    monteCarloTest([[1, 0], [5000, 5000], [4000, 6000]], counting, 100);
    expect(calls).toBeLessThanOrEqual(100 * 2); // the last row's count follows from the margins
  });
});
