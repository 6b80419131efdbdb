/**
 * Coverage of the Rogan–Gladen bootstrap interval on synthetic data with known prevalence,
 * sensitivity and specificity (the figures in docs/compare.md).
 *
 *   npx tsx scripts/compare-synthetic-coverage.ts
 *
 * Each trial draws validation counts (tp ~ Bin(vpos, Se), tn ~ Bin(vneg, Sp)) and a sample's
 * positive decisions (x ~ Bin(n, Se·p + (1 − Sp)(1 − p))), builds the 95% interval from 1000
 * bootstrap replicates and checks whether it contains p.
 */
import { createRng } from '../src/analysis/random.js';
import { bootstrapCorrected } from '../src/analysis/rogan-gladen.js';
const scen = [
  { p: 0.3, se: 0.85, sp: 0.9, n: 500, vpos: 2000, vneg: 6000 },
  { p: 0.1, se: 0.7, sp: 0.95, n: 1000, vpos: 1000, vneg: 9000 },
  { p: 0.5, se: 0.9, sp: 0.9, n: 200, vpos: 500, vneg: 500 },
  { p: 0.05, se: 0.6, sp: 0.98, n: 2000, vpos: 1000, vneg: 19000 },
  { p: 0.02, se: 0.8, sp: 0.99, n: 300, vpos: 400, vneg: 19000 },
  { p: 0.0, se: 0.8, sp: 0.97, n: 300, vpos: 400, vneg: 19000 },
  { p: 0.7, se: 0.95, sp: 0.8, n: 100, vpos: 3000, vneg: 1000 },
];
const rng = createRng(123);
console.log('| true p | Se | Sp | n faces | validation pos / neg | coverage (1000 trials) | mean width |');
console.log('|---|---|---|---|---|---|---|');
for (const s of scen) {
  const T = 1000; let cover = 0; let width = 0;
  for (let t = 0; t < T; t++) {
    const tp = rng.binomial(s.vpos, s.se), tn = rng.binomial(s.vneg, s.sp);
    const a = s.se * s.p + (1 - s.sp) * (1 - s.p);
    const count = rng.binomial(s.n, a);
    const r = bootstrapCorrected([{ count, n: s.n }], { tp, fn: s.vpos - tp, tn, fp: s.vneg - tn }, { replicates: 1000, rng });
    const g = r.groups[0]!;
    if (g.lower <= s.p && s.p <= g.upper) cover++;
    width += g.upper - g.lower;
  }
  console.log(`| ${s.p} | ${s.se} | ${s.sp} | ${s.n} | ${s.vpos} / ${s.vneg} | ${(cover / T).toFixed(3)} | ${(width / T).toFixed(3)} |`);
}
