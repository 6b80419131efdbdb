/**
 * Tables, the chosen quality rule and the chart of `scripts/quality-accuracy.ts report` (see that script).
 */
import { CELEBA_ATTRIBUTES } from '../src/attributes/names.js';
import type { MeasuredRelation, RelationMeasure } from '../src/quality/relation.js';
import type { FaceQuality, HeadPose } from '../src/types.js';

/** One line of `quality-accuracy.ts run`: a face (or a miss) in one degradation setting. */
export interface FaceRow {
  set: string;
  file: string;
  kind: string;
  level: number;
  detected: boolean;
  score?: number;
  pose?: HeadPose;
  quality?: FaceQuality;
  /** 40 characters, '1' where the attribute's decision matches the label (CelebA order). */
  correct?: string;
  /** The model, detector and settings that made this row (absent in rows written before it was recorded). */
  measuredWith?: string;
}

const K = CELEBA_ATTRIBUTES.length;
const acc = (r: FaceRow) => [...r.correct!].filter((c) => c === '1').length / K;
const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
const median = (a: number[]) => {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (v: number, d = 1) => (Number.isFinite(v) ? (100 * v).toFixed(d) : '–');
const signed = (v: number, d = 1) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(d)}` : '–');

/** Bin edges (lower edges; the last bin is open) of each measure. */
export const BINS: Record<RelationMeasure, number[]> = {
  eye_distance: [0, 5, 7, 9, 11, 14, 18, 24],
  sharpness: [0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.045, 0.07, 0.1],
  brightness: [0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.85],
  abs_yaw: [0, 10, 20, 30, 40, 50],
  abs_roll: [0, 20, 40, 55, 70, 85],
};
/** The degradations whose faces each measure's relation is read from (plus the undegraded faces). */
const FAMILY: Record<RelationMeasure, string[]> = { eye_distance: ['scale'], sharpness: ['blur'], brightness: ['exposure'], abs_yaw: [], abs_roll: ['rotate'] };
const VALUE: Record<RelationMeasure, (r: FaceRow) => number> = {
  eye_distance: (r) => r.quality!.eye_distance,
  sharpness: (r) => r.quality!.sharpness,
  brightness: (r) => r.quality!.brightness,
  abs_yaw: (r) => Math.abs(r.pose!.yaw),
  abs_roll: (r) => Math.abs(r.pose!.roll),
};
/** Bins with fewer faces are shown but not used to choose a bound. */
const MIN_BIN = 25;

interface Bin {
  lo: number;
  hi: number | null;
  n: number;
  accuracy: number;
  /** Mean over the bin's faces of (accuracy here − accuracy of the same face undegraded); NaN for abs_yaw. */
  delta: number;
  /** Per attribute: accuracy in the bin. */
  perAttribute: number[];
}

function binRows(rows: FaceRow[], m: RelationMeasure, ref: Map<string, FaceRow>): Bin[] {
  const edges = BINS[m];
  return edges.map((lo, i) => {
    const hi = i + 1 < edges.length ? edges[i + 1] : null;
    const inBin = rows.filter((r) => VALUE[m](r) >= lo && (hi === null || VALUE[m](r) < hi));
    const deltas = inBin.filter((r) => ref.has(r.file)).map((r) => acc(r) - acc(ref.get(r.file)!));
    return {
      lo, hi, n: inBin.length, accuracy: mean(inBin.map(acc)), delta: m === 'abs_yaw' ? NaN : mean(deltas),
      perAttribute: CELEBA_ATTRIBUTES.map((_, k) => mean(inBin.map((r) => (r.correct![k] === '1' ? 1 : 0)))),
    };
  });
}

interface SetSummary {
  set: string;
  images: number;
  referenceAccuracy: number;
  referenceFaces: number;
  settings: { kind: string; level: number; images: number; recall: number; accuracy: number; delta: number; eye: number; sharpness: number; brightness: number; absYaw: number; absRoll: number }[];
  bins: Record<RelationMeasure, Bin[]>;
}

function summariseSet(rows: FaceRow[]): SetSummary {
  const full = new Set(rows.filter((r) => r.kind !== 'none').map((r) => r.file));
  const refAll = rows.filter((r) => r.kind === 'none' && r.detected);
  const ref = new Map(refAll.filter((r) => full.has(r.file)).map((r) => [r.file, r]));
  const refFull = [...ref.values()];
  const keys = [...new Map(rows.map((r) => [`${r.kind}:${r.level}`, r])).values()];
  const settings = keys.map(({ kind, level }) => {
    const here = rows.filter((r) => r.kind === kind && r.level === level && (kind !== 'none' || full.has(r.file)));
    const images = here.filter((r) => ref.has(r.file));
    const det = images.filter((r) => r.detected);
    return {
      kind, level, images: images.length, recall: det.length / images.length, accuracy: mean(det.map(acc)),
      delta: mean(det.map((r) => acc(r) - acc(ref.get(r.file)!))),
      eye: median(det.map((r) => r.quality!.eye_distance)), sharpness: median(det.map((r) => r.quality!.sharpness)),
      brightness: median(det.map((r) => r.quality!.brightness)), absYaw: median(det.map((r) => Math.abs(r.pose!.yaw))),
      absRoll: median(det.map((r) => Math.abs(r.pose!.roll))),
    };
  });
  const detected = rows.filter((r) => r.detected && ref.has(r.file));
  const bins = Object.fromEntries(
    (Object.keys(BINS) as RelationMeasure[]).map((m) => {
      const src = m === 'abs_yaw' ? refAll : detected.filter((r) => r.kind === 'none' || FAMILY[m].includes(r.kind));
      return [m, binRows(src, m, ref)];
    }),
  ) as Record<RelationMeasure, Bin[]>;
  return { set: rows[0]?.set ?? '?', images: ref.size, referenceAccuracy: mean(refFull.map(acc)), referenceFaces: refAll.length, settings, bins };
}

/**
 * The quality rule: for eye distance and sharpness, the lower edge of the lowest bin from which every bin up (with
 * at least MIN_BIN faces) loses less than 1 point of mean accuracy against the same faces undegraded; for |yaw|,
 * the upper edge of the last bin from 0 whose accuracy is within 1 point of all undegraded faces.
 */
function chooseRule(s: SetSummary): Rule {
  const lowestGood = (bins: Bin[]) => {
    let bound = bins[bins.length - 1].lo;
    for (let i = bins.length - 1; i >= 0; i--) {
      if (bins[i].n < MIN_BIN) continue;
      if (bins[i].delta >= -0.01) bound = bins[i].lo;
      else break;
    }
    return bound;
  };
  let maxYaw = BINS.abs_yaw[1];
  for (const b of s.bins.abs_yaw) {
    if (b.n < MIN_BIN || b.hi === null) break;
    if (b.accuracy >= s.referenceAccuracy - 0.01) maxYaw = b.hi;
    else break;
  }
  // Brightness: from the bin of the undegraded faces' median outwards, while each bin loses less than 1 point.
  const br = s.bins.brightness;
  const mid = s.settings.find((t) => t.kind === 'none')!.brightness;
  const home = br.findIndex((x) => mid >= x.lo && (x.hi === null || mid < x.hi));
  let minBrightness = br[home].lo, maxBrightness = br[home].hi ?? 1;
  for (let i = home - 1; i >= 0; i--) {
    if (br[i].n < MIN_BIN) continue;
    if (br[i].delta >= -0.01) minBrightness = br[i].lo;
    else break;
  }
  for (let i = home + 1; i < br.length; i++) {
    if (br[i].n < MIN_BIN) continue;
    if (br[i].delta >= -0.01) maxBrightness = br[i].hi ?? 1;
    else break;
  }
  // Roll: from 0 upwards, while each bin loses less than 1 point against the same faces upright.
  let maxRoll = BINS.abs_roll[1];
  for (const b of s.bins.abs_roll) {
    if (b.n < MIN_BIN || b.hi === null) break;
    if (b.delta >= -0.01) maxRoll = b.hi;
    else break;
  }
  return { minEyeDistance: lowestGood(s.bins.eye_distance), minSharpness: lowestGood(s.bins.sharpness), maxYaw, maxRoll, minBrightness, maxBrightness };
}

interface Rule {
  minEyeDistance: number;
  minSharpness: number;
  maxYaw: number;
  maxRoll: number;
  minBrightness: number;
  maxBrightness: number;
}

function applyRule(rows: FaceRow[], rule: Rule) {
  const full = new Set(rows.filter((r) => r.kind !== 'none').map((r) => r.file));
  const ref = new Map(rows.filter((r) => r.kind === 'none' && r.detected && full.has(r.file)).map((r) => [r.file, r]));
  const det = rows.filter((r) => r.detected && ref.has(r.file));
  const keep = (r: FaceRow) =>
    r.quality!.eye_distance >= rule.minEyeDistance && r.quality!.sharpness >= rule.minSharpness && Math.abs(r.pose!.yaw) <= rule.maxYaw && Math.abs(r.pose!.roll) <= rule.maxRoll &&
    r.quality!.brightness >= rule.minBrightness && r.quality!.brightness <= rule.maxBrightness;
  const byKind = [...new Set(det.map((r) => r.kind))].map((kind) => {
    const here = det.filter((r) => r.kind === kind);
    const kept = here.filter(keep);
    return { kind, faces: here.length, kept: kept.length, accuracyAll: mean(here.map(acc)), accuracyKept: mean(kept.map(acc)) };
  });
  const kept = det.filter(keep);
  return { faces: det.length, kept: kept.length, accuracyAll: mean(det.map(acc)), accuracyKept: mean(kept.map(acc)), referenceAccuracy: mean([...ref.values()].map(acc)), byKind };
}

const LEVEL_TEXT: Record<string, (l: number) => string> = {
  none: () => 'undegraded',
  scale: (l) => `downscaled: eyes ${l} px apart`,
  blur: (l) => `Gaussian blur σ = ${l} px at 40 px eye distance`,
  exposure: (l) => `gray levels × ${l}${l < 1 ? ' (darker)' : ' (over-exposed)'}`,
  jpeg: (l) => `JPEG quality ${l}`,
  rotate: (l) => `rotated ${l}°`,
};

const range = (b: Bin, unit = '') => (b.hi === null ? `≥ ${b.lo}${unit}` : `${b.lo}–${b.hi}${unit}`);

/** The markdown section, the JSON of every figure (with the rule and the relation for compare), from the run's rows. */
export function summarise(choose: FaceRow[], check: FaceRow[] | null, command: string): { markdown: string; json: any } {
  const a = summariseSet(choose);
  const b = check ? summariseSet(check) : null;
  const rule = chooseRule(a);
  const onChoose = applyRule(choose, rule);
  const onCheck = check ? applyRule(check, rule) : null;
  const relation: MeasuredRelation = {
    source: `CelebA-HQ validation, ${a.images} faces degraded in ${a.settings.length - 1} settings (scripts/quality-accuracy.ts)`,
    referenceAccuracy: a.referenceAccuracy,
    bins: Object.fromEntries(
      // Bins with fewer than MIN_BIN faces are too noisy to act on: their loss is recorded as 0 (unmeasured).
      (Object.keys(BINS) as RelationMeasure[]).map((m) => [m, a.bins[m].map((x) => ({ lo: x.lo, hi: x.hi, n: x.n, loss: x.n < MIN_BIN ? 0 : m === 'abs_yaw' ? x.accuracy - a.referenceAccuracy : x.delta }))]),
    ) as MeasuredRelation['bins'],
  };
  const L: string[] = [];
  L.push(`Made by \`${command.startsWith('report') ? `npx tsx scripts/quality-accuracy.ts ${command}` : command}\` from the runs described in the script's header (hq-val: \`run --set hq-val --limit 120 --reference-extra 300\`; celeba-test: \`run --set celeba-test --limit 60\`; nice'd, single thread, on the shared 2-core machine).`);
  L.push('');
  const made = [...new Set([...choose, ...(check ?? [])].map((r) => r.measuredWith ?? '(not recorded)'))];
  L.push(`Measured with: ${made.join('; ')}${made.length > 1 ? ' (**the rows come from more than one model or setting**)' : ''}.`);
  L.push('');
  L.push(`Reference (undegraded) mean accuracy over the 40 attributes: CelebA-HQ validation ${pct(a.referenceAccuracy, 2)}% (${a.images} faces)${b ? `, CelebA test ${pct(b.referenceAccuracy, 2)}% (${b.images} faces)` : ''}. Faces are each image's central detected face; accuracy is over detected faces, detection recall is given separately; "Δ" is the mean change in accuracy of the same faces against their undegraded version, in points.`);
  L.push('');
  L.push('### Each degradation step');
  L.push('');
  L.push(`| setting | HQ-val recall | HQ-val accuracy | HQ-val Δ | eye dist. (median px) | sharpness (median) | brightness (median) |${b ? ' test recall | test accuracy | test Δ |' : ''}`);
  L.push(`|---|---:|---:|---:|---:|---:|---:|${b ? '---:|---:|---:|' : ''}`);
  for (const s of a.settings) {
    const t = b?.settings.find((x) => x.kind === s.kind && x.level === s.level);
    L.push(`| ${LEVEL_TEXT[s.kind](s.level)} | ${pct(s.recall)}% | ${pct(s.accuracy)}% | ${s.kind === 'none' ? '' : signed(s.delta)} | ${s.eye.toFixed(1)} | ${s.sharpness.toFixed(3)} | ${s.brightness.toFixed(2)} |${b ? ` ${t ? pct(t.recall) + '%' : '–'} | ${t ? pct(t.accuracy) + '%' : '–'} | ${t && t.kind !== 'none' ? signed(t.delta) : ''} |` : ''}`);
  }
  L.push('');
  L.push('### Accuracy against each measured quality (CelebA-HQ validation)');
  L.push('');
  L.push('Faces binned by the quality the pipeline measured on the degraded photo (undegraded faces plus the degradation that moves the measure: downscaling for eye distance, blur for sharpness, exposure for brightness, rotation for |roll|; |yaw| from the undegraded faces\' natural pose).');
  L.push('');
  const names: Record<RelationMeasure, string> = { eye_distance: 'eye distance (px)', sharpness: 'sharpness', brightness: 'brightness', abs_yaw: '|yaw| (°)', abs_roll: '|roll| (°)' };
  for (const m of Object.keys(BINS) as RelationMeasure[]) {
    L.push(`| ${names[m]} | faces | accuracy | Δ vs undegraded |${b ? ' test faces | test accuracy | test Δ |' : ''}`);
    L.push(`|---|---:|---:|---:|${b ? '---:|---:|---:|' : ''}`);
    a.bins[m].forEach((x, i) => {
      const y = b?.bins[m][i];
      const d = (z: Bin) => (m === 'abs_yaw' ? signed(z.accuracy - (z === y ? b!.referenceAccuracy : a.referenceAccuracy)) + ' (vs all)' : signed(z.delta));
      L.push(`| ${range(x)} | ${x.n} | ${x.n ? pct(x.accuracy) + '%' : '–'} | ${x.n ? d(x) : '–'} |${y ? ` ${y.n} | ${y.n ? pct(y.accuracy) + '%' : '–'} | ${y.n ? d(y) : '–'} |` : ''}`);
    });
    L.push('');
  }
  L.push('### The default quality rule (`--quality default`)');
  L.push('');
  L.push(`Chosen on CelebA-HQ validation only: for eye distance and sharpness, the lowest bin from which every bin above (with at least ${MIN_BIN} faces) loses less than 1 point against the same faces undegraded; for brightness, the bins around the undegraded faces' median, outwards while each loses less than 1 point; for |yaw|, the last bin from 0 within 1 point of all undegraded faces; for |roll|, the last bin from 0 that loses less than 1 point against the same faces upright.`);
  L.push('');
  L.push(`**Rule: \`--min-eye-distance ${rule.minEyeDistance} --min-sharpness ${rule.minSharpness} --max-yaw ${rule.maxYaw} --max-roll ${rule.maxRoll} --min-brightness ${rule.minBrightness} --max-brightness ${rule.maxBrightness}\`.**`);
  L.push('');
  L.push('| set | faces (all settings) | kept | accuracy, all faces | accuracy, kept faces | undegraded accuracy |');
  L.push('|---|---:|---:|---:|---:|---:|');
  for (const [name, r] of [['CelebA-HQ validation (chosen here)', onChoose], ['CelebA test (check only)', onCheck]] as const) {
    if (r) L.push(`| ${name} | ${r.faces} | ${r.kept} (${pct(r.kept / r.faces, 0)}%) | ${pct(r.accuracyAll, 2)}% | ${pct(r.accuracyKept, 2)}% | ${pct(r.referenceAccuracy, 2)}% |`);
  }
  L.push('');
  L.push('Per degradation (CelebA-HQ validation): faces kept and the accuracy of the kept faces:');
  L.push('');
  L.push('| degradation | faces | kept | accuracy all | accuracy kept |');
  L.push('|---|---:|---:|---:|---:|');
  for (const k of onChoose.byKind) L.push(`| ${k.kind} | ${k.faces} | ${k.kept} | ${pct(k.accuracyAll)}% | ${pct(k.accuracyKept)}% |`);
  L.push('');
  L.push('### Per attribute: accuracy against eye distance and sharpness (CelebA-HQ validation)');
  L.push('');
  const eb = a.bins.eye_distance, sb = a.bins.sharpness;
  L.push(`| attribute | ${eb.map((x) => `eyes ${range(x)} px`).join(' | ')} | ${sb.map((x) => `sharp. ${range(x)}`).join(' | ')} |`);
  L.push(`|---|${eb.map(() => '---:').join('|')}|${sb.map(() => '---:').join('|')}|`);
  L.push(`| (faces) | ${eb.map((x) => x.n).join(' | ')} | ${sb.map((x) => x.n).join(' | ')} |`);
  CELEBA_ATTRIBUTES.forEach((name, k) => {
    L.push(`| ${name} | ${eb.map((x) => (x.n ? pct(x.perAttribute[k], 0) : '–')).join(' | ')} | ${sb.map((x) => (x.n ? pct(x.perAttribute[k], 0) : '–')).join(' | ')} |`);
  });
  L.push('');
  return { markdown: L.join('\n'), json: { rule, onChoose, onCheck, choose: a, check: b, relation } };
}

/** The chart: mean accuracy against each measured quality (both sets), and detection recall per degradation step. */
export function chartSpecs(json: any): Record<string, unknown> {
  const values: Record<string, unknown>[] = [];
  const label: Record<RelationMeasure, string> = { eye_distance: 'eye distance (px, source photo)', sharpness: 'sharpness', brightness: 'brightness', abs_yaw: '|yaw| (degrees)', abs_roll: '|roll| (degrees)' };
  for (const s of [json.choose, json.check].filter(Boolean) as SetSummary[]) {
    const setName = s.set === 'hq-val' ? 'CelebA-HQ validation' : 'CelebA test';
    for (const m of Object.keys(BINS) as RelationMeasure[]) {
      for (const [i, x] of s.bins[m].entries()) {
        if (x.n < 10) continue;
        // An open last bin is drawn half a previous bin's width above its lower edge.
        const mid = x.hi === null ? x.lo + (x.lo - (BINS[m][i - 1] ?? 0)) / 2 : (x.lo + x.hi) / 2;
        values.push({ measure: label[m], x: mid, accuracy: 100 * x.accuracy, n: x.n, set: setName });
      }
    }
  }
  const recall: Record<string, unknown>[] = [];
  for (const s of [json.choose, json.check].filter(Boolean) as SetSummary[]) {
    for (const t of s.settings) if (t.kind !== 'none') recall.push({ setting: `${t.kind} ${t.level}`, kind: t.kind, recall: 100 * t.recall, set: s.set === 'hq-val' ? 'CelebA-HQ validation' : 'CelebA test' });
  }
  const panel = (m: RelationMeasure) => ({
    title: label[m],
    transform: [{ filter: { field: 'measure', equal: label[m] } }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: label[m], ...(m === 'sharpness' ? { scale: { type: 'sqrt' } } : {}) },
      y: { field: 'accuracy', type: 'quantitative', title: 'mean accuracy (%)', scale: { domain: [60, 95] } },
      color: { field: 'set', type: 'nominal', title: null },
      tooltip: [{ field: 'n', type: 'quantitative' }],
    },
    width: 260,
    height: 180,
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Attribute accuracy against measured face quality', subtitle: ['mean accuracy over the 40 attributes of faces binned by the quality measured on degraded photos (bins of 10+ faces);', `undegraded: CelebA-HQ val ${(100 * json.choose.referenceAccuracy).toFixed(1)}%${json.check ? `, CelebA test ${(100 * json.check.referenceAccuracy).toFixed(1)}%` : ''}`] },
    vconcat: [
      { data: { values }, hconcat: [panel('eye_distance'), panel('sharpness')] },
      { data: { values }, hconcat: [panel('brightness'), panel('abs_yaw'), panel('abs_roll')] },
      {
        data: { values: recall },
        title: 'detection recall per degradation step',
        mark: 'bar',
        encoding: {
          x: { field: 'setting', type: 'nominal', sort: null, title: null, axis: { labelAngle: -60 } },
          xOffset: { field: 'set' },
          y: { field: 'recall', type: 'quantitative', title: 'recall (%)', scale: { domain: [0, 100] } },
          color: { field: 'set', type: 'nominal', title: null },
        },
        width: 600,
        height: 140,
      },
    ],
    config: { font: 'DejaVu Sans', legend: { orient: 'bottom', labelLimit: 400 } },
  };
}
