import { csvField } from '../pipeline/csv.js';
import type { EvalReport } from './run.js';
import { LNETS_ANET_ACCURACY, STUDY_2016_ACCURACY, STUDY_2016_MEAN_ACCURACY } from './published.js';

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : '–');

/**
 * What the two published columns are, printed under every table (Markdown reports, the model card): neither was
 * measured on these images, and the 2016 study's images are not even CelebA's official test split.
 */
export const PUBLISHED_NOTE =
  'Published columns, not measured on these images: LNets+ANet (Liu et al., ICCV 2015, Table 1) on the full official CelebA test split (19,962 images); ' +
  'the 2016 study (Wang et al. 2016, Table 3) on images of its own: it cropped CelebA with OpenCV face boxes and its test images differ from the official split, ' +
  'so it is not a like-for-like comparison (its authors say the same of their figures against LNets+ANet). Both are context, not paired differences.';

/** The evaluation as a Markdown report: per-attribute table, means with 95% bootstrap intervals, misses, subgroups. */
export function evalMarkdown(r: EvalReport): string {
  const out: string[] = [];
  out.push(`| attribute | n | positives | accuracy | balanced acc. | majority baseline | ECE | LNets+ANet | 2016 study |`);
  out.push(`|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
  r.perAttribute.forEach((a, k) => {
    const flag = a.accuracy < a.baseline ? ' ⚠' : '';
    out.push(`| ${a.name} | ${a.n} | ${a.tp + a.fn} | ${pct(a.accuracy)}${flag} | ${pct(a.balancedAccuracy)} | ${pct(a.baseline)} | ${pct(r.ece[k])} | ${LNETS_ANET_ACCURACY[a.name] ?? '–'} | ${STUDY_2016_ACCURACY[a.name]?.toFixed(2) ?? '–'} |`);
  });
  out.push(`| **mean** | ${r.n} | | **${pct(r.meanAccuracy.estimate)}** | **${pct(r.meanBalancedAccuracy.estimate)}** | ${pct(r.meanBaseline)} | ${pct(r.meanEce)} | 87.30 | ${STUDY_2016_MEAN_ACCURACY.toFixed(2)} |`);
  out.push('');
  out.push(`Mean accuracy ${pct(r.meanAccuracy.estimate)}% (95% bootstrap interval ${pct(r.meanAccuracy.lower)}–${pct(r.meanAccuracy.upper)}), ` +
    `mean balanced accuracy ${pct(r.meanBalancedAccuracy.estimate)}% (${pct(r.meanBalancedAccuracy.lower)}–${pct(r.meanBalancedAccuracy.upper)}), ` +
    `resampling the ${r.n} images` +
    (r.byPerson ? `; resampling the ${r.byPerson.people} people instead (every photo of a drawn person; one person's photos are not independent): ` +
      `${pct(r.byPerson.meanAccuracy.lower)}–${pct(r.byPerson.meanAccuracy.upper)} and ${pct(r.byPerson.meanBalancedAccuracy.lower)}–${pct(r.byPerson.meanBalancedAccuracy.upper)}` : '') +
    `. Positives: images whose true label is 1; an attribute with none has a baseline of 100%, and one false positive puts it below. ${r.perAttribute.filter((a) => a.accuracy < a.baseline).length} attribute(s) below their majority baseline (⚠).`);
  out.push(`Faces missed by the detector: ${r.missed} of ${r.n} images${r.unreadable ? ` (${r.unreadable} unreadable)` : ''}; each counts as an error on all 40 attributes${r.missed ? `: ${r.missedFiles.slice(0, 20).join(', ')}${r.missed > 20 ? ', …' : ''}` : ''}.`);
  out.push(`ECE: expected calibration error of the probabilities, 10 equal-width bins, over the images with a detected face (%).`);
  out.push(PUBLISHED_NOTE);
  out.push('');
  out.push(`| subgroup (true label) | n | mean accuracy | mean balanced acc. |`);
  out.push(`|---|---:|---:|---:|`);
  for (const g of r.subgroups) out.push(`| ${g.group} | ${g.n} | ${pct(g.meanAccuracy)} | ${pct(g.meanBalancedAccuracy)} |`);
  return out.join('\n') + '\n';
}

/**
 * The per-attribute table as CSV (rates as fractions in [0, 1]), with a final `MEAN` row; `lnets_anet` and `study_2016` are the
 * published accuracies (as fractions; not measured on these images, see {@link PUBLISHED_NOTE}).
 */
export function evalCsv(r: EvalReport): string {
  const rows = ['attribute,n,tp,fn,tn,fp,accuracy,balanced_accuracy,baseline,ece,lnets_anet,study_2016'];
  r.perAttribute.forEach((a, k) => rows.push([csvField(a.name), a.n, a.tp, a.fn, a.tn, a.fp, a.accuracy.toFixed(6), a.balancedAccuracy.toFixed(6), a.baseline.toFixed(6), r.ece[k].toFixed(6), ((LNETS_ANET_ACCURACY[a.name] ?? NaN) / 100).toFixed(2), ((STUDY_2016_ACCURACY[a.name] ?? NaN) / 100).toFixed(4)].join(',')));
  rows.push(['MEAN', r.n, '', '', '', '', r.meanAccuracy.estimate.toFixed(6), r.meanBalancedAccuracy.estimate.toFixed(6), r.meanBaseline.toFixed(6), r.meanEce.toFixed(6), '0.873', (STUDY_2016_MEAN_ACCURACY / 100).toFixed(4)].join(','));
  return rows.join('\n') + '\n';
}
