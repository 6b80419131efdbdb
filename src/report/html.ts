/**
 * The self-contained HTML report of `facetally compare`: summary, ranking of the attributes that
 * differ most, the charts (inline SVG, so it works offline), full tables and the methods.
 * No scripts, no external resources.
 */

import { MIN_YOUDEN_J, type AttributeComparison, type CompareResult, type Panel } from '../analysis/compare.js';
import { CORRECTED_INTERVAL_METHOD } from '../analysis/rogan-gladen.js';
import { panelLabel } from './charts.js';
import type { CompareContext } from './tables.js';
import { qualitySectionHtml } from './quality-html.js';

/** A chart to embed: its title, the SVG markup and the file names written beside the report. */
export interface ReportChart {
  id: string;
  title: string;
  svg: string;
  files: string[];
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A proportion as a percentage with one decimal: 0.3512 → "35.1%". */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`;
}

/** A p-value for people: 3 decimals, scientific below 0.001, "< 1e-300" when it underflows. */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–';
  if (p === 0) return '< 1e-300';
  if (p < 0.001) return p.toExponential(1);
  return p.toFixed(3);
}

function signedPts(v: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)}`;
}

const METHOD_LABEL: Record<string, string> = {
  'chi-square': 'χ²',
  'fisher-exact': 'Fisher',
  'monte-carlo-exact': 'MC exact',
  constant: 'constant',
  'rao-scott': 'Rao–Scott χ²',
};

/** Build the report. `charts` are embedded in the given order. */
export function renderReport(result: CompareResult, context: CompareContext, charts: ReportChart[], topK: number): string {
  const level = Math.round(result.confidence * 100);
  const all = result.panels[0];
  const ranked = [...all.attributes].sort((a, b) => a.rank - b.rank);
  const flagged = ranked.filter((a) => a.significant);
  const h: string[] = [];
  h.push(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>facetally compare: ${escapeHtml(result.groups.join(' vs '))}</title>
<style>${CSS}</style></head><body>
<h1>Attribute prevalence by group</h1>
<p class="lead">${escapeHtml(result.groups.join(' · '))}${result.factor ? ` — split by <b>${escapeHtml(result.factor)}</b>` : ''}. ${
    result.unit && result.unit !== 'face'
      ? `Faces are counted, but the unit of resampling is the <b>${escapeHtml(result.unit)}</b> (${result.clusters ?? '?'} of them, <code>--cluster ${escapeHtml(result.unit)}</code>): every interval resamples whole ${escapeHtml(result.unit)}s (raw shares: Wilson on the effective sample size), and the tests are Rao–Scott corrected, so several faces of one ${escapeHtml(result.unit)} count as much as the data say they are worth.`
      : 'Faces are the unit of analysis; a photo with several faces counts each face, and faces are treated as independent (several photos of one person make intervals too narrow: use <code>--cluster</code>).'
  }</p>`);

  // Summary
  h.push(`<h2>Data</h2><table class="data"><thead><tr><th>group</th><th>photos</th><th>unreadable</th><th>faces</th>${result.levels
    .map((l) => `<th>faces: ${escapeHtml(l)}</th>`)
    .join('')}</tr></thead><tbody>`);
  for (const g of result.groups) {
    h.push(
      `<tr><td>${escapeHtml(g)}</td><td>${context.summary.photos[g] ?? 0}</td><td>${context.summary.unreadable[g] ?? 0}</td><td>${all.faces[g] ?? 0}</td>${result.panels
        .slice(1)
        .map((p) => `<td>${p.faces[g] ?? 0}</td>`)
        .join('')}</tr>`,
    );
  }
  h.push('</tbody></table>');
  const notes: string[] = [];
  if (context.minScore > 0) notes.push(`Faces with a detector score below ${context.minScore} were left out (${context.summary.lowScoreFaces}).`);
  if (context.missing.length) notes.push(`${context.missing.length} photo(s) in the manifest were not found in the results and are left out.`);
  if (context.summary.errors.length) notes.push(`${context.summary.errors.length === 1 ? '1 photo' : `${context.summary.errors.length} photos`} could not be read; they are listed at the end.`);
  notes.push(`Inputs: ${escapeHtml(context.mode)}${context.manifest ? `, manifest <code>${escapeHtml(context.manifest)}</code>` : ''}${context.results ? `, results <code>${escapeHtml(context.results)}</code>` : ''}.`);
  h.push(`<p class="note">${notes.join(' ')}</p>`);
  if (context.resultsProvenance) h.push(provenanceNote(context.resultsProvenance));
  if (context.quality) h.push(qualitySectionHtml(context.quality, context.summary, context.qualityRule ?? null));

  // Two-phase estimates from the user's own labels come first: they rest on no assumption about the model's errors.
  if (result.twoPhase) h.push(twoPhaseSection(result, context, level));

  // Correction note
  if (result.corrected && context.model) {
    h.push(`<div class="callout"><b>Read this before the corrected figures: they rest on an assumption.</b> The corrected prevalence assumes that the model makes its mistakes at the same rates on these photos, and in every group, as it did on CelebA's validation faces. That is often false: the model's errors depend on the other features of a face and on the kind of photo. Even on CelebA-HQ validation photos (CelebA's own kind of photo) split by a true label, more than one printed corrected interval in ten missed the true prevalence (docs/compare.md); on photos unlike CelebA it can be far worse. ${result.twoPhase ? 'The two-phase figures above, from your own labels, do not need this assumption; prefer them.' : 'For figures that do not need it, label a random sample of your own faces (<code>facetally sample</code>, then <code>compare --validation-labels</code>): about 150 faces per group.'}</div>
<div class="callout"><b>Two kinds of prevalence.</b> The <i>raw</i> prevalence is the share of faces the model marks as showing the attribute — what the original study reported. It is biased whenever the model errs: a model that misses 20% of hats and calls 5% of bare heads hatted will over-count hats in a hatless crowd and under-count them in a hatted one. The <i>corrected</i> prevalence undoes this with the Rogan–Gladen estimator, using the sensitivity and specificity the model <code>${escapeHtml(context.model.name)}</code> showed on the ${escapeHtml(context.model.validationSplit)} split (${context.model.validationN} faces). It is given only for attributes the model separates well (Youden's J = Se + Sp − 1 ≥ ${MIN_YOUDEN_J}); for the others the raw share is shown with the reason. Its ${level}% interval: ${escapeHtml(CORRECTED_INTERVAL_METHOD)}.</div>`);
    if (context.secondFactor?.kind === 'attribute') h.push(splitByPredictionCaveat(context.secondFactor.name));
  } else {
    h.push(`<div class="callout"><b>Raw prevalence only.</b> ${escapeHtml(context.correctionOff ?? 'No model validation counts were available')}; the shares below are of the model's positive decisions and are biased wherever the model errs.</div>`);
  }

  // Ranking
  h.push(`<h2>Attributes that differ most</h2>
<p>${flagged.length} of ${all.attributes.length} attributes differ between groups at a false discovery rate of ${result.alpha} (Benjamini–Hochberg). Ranked by the largest difference in prevalence between two groups, FDR-flagged attributes first.</p>`);
  const shown = Math.max(topK, Math.min(flagged.length, 20));
  h.push(rankingTable(result, ranked.slice(0, shown), level));
  if (shown < ranked.length) h.push(`<p class="note">The other ${ranked.length - shown} attributes are in the full tables below and in compare.csv.</p>`);

  // Charts
  h.push('<h2>Charts</h2>');
  for (const c of charts) {
    h.push(`<figure id="${escapeHtml(c.id)}"><figcaption aria-label="${escapeHtml(c.title)}"><span class="files">${c.files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(' · ')}</span></figcaption><div class="chart">${stripXmlProlog(c.svg)}</div></figure>`);
  }

  // Full tables
  h.push('<h2>All attributes</h2>');
  for (const panel of result.panels) {
    h.push(`<details${panel.level === null ? ' open' : ''}><summary>${escapeHtml(panelLabel(result, panel))}</summary>${fullTable(result, panel, level)}</details>`);
  }

  if (context.summary.errors.length) {
    h.push(`<h2>Unreadable photos</h2><ul class="errors">${context.summary.errors
      .slice(0, 200)
      .map((e) => `<li><code>${escapeHtml(e.code)}</code> ${escapeHtml(e.message)}</li>`)
      .join('')}${context.summary.errors.length > 200 ? `<li>… and ${context.summary.errors.length - 200} more (see compare.json)</li>` : ''}</ul>`);
  }

  h.push(methods(result, level));
  h.push(`<footer>facetally ${escapeHtml(context.version)} · ${escapeHtml(context.created)} · seed ${result.seed} · ${result.bootstrapReplicates} bootstrap replicates</footer></body></html>`);
  return h.join('\n');
}

function twoPhaseSection(result: CompareResult, context: CompareContext, level: number): string {
  const all = result.panels[0];
  const rows = all.attributes.filter((a) => a.twoPhase);
  const out = [`<h2>Prevalence calibrated on your labels (two-phase)</h2>
<div class="callout"><b>From your own labelled faces.</b> ${context.validationLabels ? `<code>${escapeHtml(context.validationLabels)}</code>` : 'The labels file'} labels a random sample of each group's faces. For each group and attribute the prevalence is P(model says yes)·PPV + P(model says no)·(1 − NPV), with the predictive values PPV and NPV measured on that group's labelled faces (two-phase sampling, Tenenbein 1970; Cochran 1977 §12.2). Unlike the corrected figures further down, it does not assume that the model errs on these photos as on CelebA, or equally in every group; it assumes only that the labelled faces are a random sample of their group (as <code>facetally sample</code> draws them) and that the labels are right. ${level}% intervals carry the uncertainty of both phases (the model's decisions on all faces and the labels). Tests of equal prevalence and differences are built on these estimates.</div>`];
  if (rows.length === 0) {
    out.push('<p class="note">No attribute has labels in the compared faces.</p>');
    return out.join('');
  }
  const flagged = rows.filter((a) => a.twoPhase?.significant).length;
  out.push(`<p>${flagged} of ${rows.length} labelled attributes differ between groups at a false discovery rate of ${result.alpha} (Benjamini–Hochberg over the labelled attributes; Wald test on the two-phase estimates).</p>`);
  out.push(`<table class="rank"><thead><tr><th>attribute</th>${result.groups
    .map((g) => `<th>${escapeHtml(g)}<br><span class="pair">two-phase [${level}% CI] · labelled · raw</span></th>`)
    .join('')}<th>largest difference, pts [${level}% CI]</th><th>p</th><th>q (BH)</th><th>more labels per group to halve the widest interval</th></tr></thead><tbody>`);
  let anyPooled = false;
  for (const a of rows) {
    const t = a.twoPhase!;
    const d = t.largestDifference;
    out.push(
      `<tr class="${t.significant ? 'sig' : ''}"><td>${escapeHtml(a.attribute)}</td>${a.groups
        .map((g, i) => {
          const e = t.groups[i];
          if (!e) return `<td>–<br><span class="pair">${g.n === 0 ? 'no faces' : 'no labelled face with this decision'}</span></td>`;
          if (e.pooled) anyPooled = true;
          return `<td>${pct(e.estimate)}${e.pooled ? '<span title="too few labels in this group: predictive values pooled over all groups">§</span>' : ''} [${pct(e.lower)}, ${pct(e.upper)}]<br><span class="pair">${e.labelled} labelled · raw ${pct(g.prevalence)}</span></td>`;
        })
        .join('')}<td>${d ? `${signedPts(d.difference)} [${signedPts(d.lower)}, ${signedPts(d.upper)}]<br><span class="pair">${escapeHtml(d.higherGroup)} − ${escapeHtml(d.lowerGroup)}</span>` : '–'}</td><td>${formatP(t.test?.p)}</td><td>${formatP(t.q)}</td><td>${
        t.labelsToHalve === null ? '<span class="pair">labels alone cannot: the number of faces limits it</span>' : `+${t.labelsToHalve}`
      }</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  if (anyPooled) out.push(`<p class="note">§ This group had fewer than 10 labelled faces for the attribute, or none with one of the model's decisions: its predictive values are pooled over all groups' labels. That assumes the model's predictive values are the same in every group, which the two-phase method otherwise avoids; label more faces of that group.</p>`);
  out.push(`<p class="note">"More labels" is the number of additional randomly sampled, labelled faces per group (for all labelled attributes at once) that would halve the widest group's interval for that attribute, from the two-phase variance (Cochran 1977, eq. 12.3): the interval shrinks with the square root of the labels until the error from the number of faces dominates.</p>`);
  return out.join('');
}

/** The report's paragraph on what made the --results records (facetally version, models by hash, settings). */
function provenanceNote(rp: NonNullable<CompareContext['resultsProvenance']>): string {
  const one = (p: (typeof rp.provenances)[number]) =>
    `facetally ${p.facetally}, model ${p.model} (onnx ${p.model_sha256}, thresholds ${p.thresholds_sha256}), detector ${p.detector_sha256}, ` +
    Object.entries(p.settings ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  const items = rp.provenances.map((p) => `<li>${escapeHtml(one(p))}</li>`).join('');
  const mixed = rp.provenances.length > 1 ? ` <b>The results mix ${rp.provenances.length} different settings or models</b>; their records are pooled here.` : '';
  const without = rp.recordsWithout ? ` ${rp.recordsWithout === 1 ? '1 record carries' : `${rp.recordsWithout} records carry`} no provenance (written by an earlier facetally).` : '';
  return `<p class="note">Results made with:${mixed}${without}</p>${items ? `<ul class="note">${items}</ul>` : ''}`;
}

/**
 * The caveat of panels defined by a predicted attribute (`--split-by-attribute`): the panels select faces by the
 * model's own decision, while the correction inside them uses the sensitivity and specificity measured on all
 * validation faces. Error rates conditional on the panel (e.g. on faces the model calls Male) differ from the
 * overall ones (the model's errors on one attribute are not independent of its decision on another), so the
 * Rogan–Gladen assumption of transportable error rates does not hold inside a panel.
 */
export function splitByPredictionCaveat(attribute: string): string {
  const a = escapeHtml(attribute);
  return `<div class="callout caveat" id="split-caveat"><b>Panels chosen by a prediction.</b> The panels <i>${a}</i> and <i>not ${a}</i> hold the faces the model <i>decided</i> show ${a} or not, not the faces that do. Inside a panel the correction still uses the sensitivity and specificity measured on all validation faces, but the model's error rates among faces it calls ${a} differ from those among all faces (its errors on one attribute go with its decision on another), which breaks the correction's assumption of equal error rates. Read the corrected prevalences and differences inside these panels as approximate; the panel of all faces is not affected. Misclassified ${a} faces also sit in the wrong panel, so the panels are not pure either.</div>`;
}

function rankingTable(result: CompareResult, rows: AttributeComparison[], level: number): string {
  const corr = result.corrected;
  const out = [`<table class="rank"><thead><tr><th>#</th><th>attribute</th>${result.groups
    .map((g) => `<th>${escapeHtml(g)}</th>`)
    .join('')}<th>largest difference, pts [${level}% CI]</th>${corr ? `<th>corrected difference, pts [${level}% CI]</th>` : ''}<th>Cramér's V</th><th>p</th><th>q (BH)</th></tr></thead><tbody>`];
  for (const a of rows) {
    const d = a.largestDifference;
    out.push(
      `<tr class="${a.significant ? 'sig' : ''}"><td>${a.rank}</td><td>${escapeHtml(a.attribute)}</td>${a.groups
        .map((g) => `<td>${pct(g.prevalence)}${corr && g.corrected ? `<br><span class="corr">${pct(g.corrected.estimate)}${clipMark(g.corrected)}</span>` : ''}</td>`)
        .join('')}<td>${d ? `${signedPts(d.difference)} [${signedPts(d.lower)}, ${signedPts(d.upper)}]<br><span class="pair">${escapeHtml(d.higherGroup)} − ${escapeHtml(d.lowerGroup)}</span>` : '–'}</td>${
        corr ? `<td>${d?.corrected ? `${signedPts(d.corrected.difference)} [${signedPts(d.corrected.lower)}, ${signedPts(d.corrected.upper)}]` : '–'}</td>` : ''
      }<td>${a.test ? a.test.cramersV.toFixed(3) : '–'}</td><td>${formatP(a.test?.p)}<br><span class="pair">${a.test ? METHOD_LABEL[a.test.method] : ''}</span></td><td>${formatP(a.q)}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  if (corr) out.push('<p class="note">In group columns: raw prevalence, and below it in grey the corrected prevalence.</p>');
  return out.join('');
}

function fullTable(result: CompareResult, panel: Panel, level: number): string {
  const corr = result.corrected;
  const out = [`<table class="full"><thead><tr><th>attribute</th>${result.groups
    .map((g) => `<th>${escapeHtml(g)}<br><span class="pair">count / n · raw [${level}% Wilson]${corr ? ` · corrected [${level}% bootstrap]` : ''}</span></th>`)
    .join('')}<th>test</th><th>p</th><th>q</th><th>V</th><th>rank</th></tr></thead><tbody>`];
  for (const a of panel.attributes) {
    out.push(
      `<tr class="${a.significant ? 'sig' : ''}"><td>${escapeHtml(a.attribute)}${
        a.correction && 'unavailable' in a.correction ? `<br><span class="pair">not corrected: ${escapeHtml(shortReason(a.correction.unavailable))}</span>` : ''
      }</td>${a.groups
        .map((g) =>
          g.n === 0
            ? '<td>no faces</td>'
            : `<td>${g.count} / ${g.n} · ${pct(g.prevalence)} [${pct(g.wilson?.lower)}, ${pct(g.wilson?.upper)}]${
                g.corrected
                  ? `<br><span class="corr">${pct(g.corrected.estimate)}${clipMark(g.corrected)} [${pct(g.corrected.lower)}, ${pct(g.corrected.upper)}]</span>`
                  : g.correctedWithheld
                    ? `<br><span class="pair" title="${escapeHtml(g.correctedWithheld)}">corrected: withheld</span>`
                    : ''
              }</td>`,
        )
        .join('')}<td>${a.test ? `${METHOD_LABEL[a.test.method]}${a.test.method === 'chi-square' && a.test.df ? ` (df ${a.test.df}) = ${a.test.statistic.toFixed(2)}` : ''}` : 'untested'}</td><td>${formatP(a.test?.p)}</td><td>${formatP(a.q)}</td><td>${a.test ? a.test.cramersV.toFixed(3) : '–'}</td><td>${a.rank}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  if (panel.attributes.some((a) => a.groups.some((g) => g.corrected?.clipped))) {
    out.push(`<p class="note">${CLIP_MARK} The raw prevalence lies outside the range the model's validation sensitivity and specificity allow (above Se, or below 1 − Sp), so the Rogan–Gladen value was clipped to 0% or 100%: read it as a bound, and an interval pressed against it as no claim of certainty. The model errs differently on these faces than on the validation faces, or the group is small.</p>`);
  }
  return out.join('');
}

/** The first clause of a reason (up to the colon), for a table cell; the full text is in compare.json. */
function shortReason(reason: string): string {
  const i = reason.indexOf(':');
  return i > 0 ? reason.slice(0, i) : reason;
}

const CLIP_MARK = '‡';

function clipMark(c: { clipped: 'at 0' | 'at 1' | null }): string {
  return c.clipped ? `<span title="clipped ${c.clipped}: a bound, not an estimate (see the note below the table)">${CLIP_MARK}</span>` : '';
}

function methods(result: CompareResult, level: number): string {
  return `<h2>Methods</h2><div class="methods">
<p><b>Prevalence.</b> For each group, the share of faces with a positive decision (probability ≥ the attribute's threshold), with a ${level}% Wilson score interval (Wilson 1927).</p>
<p><b>Corrected prevalence.</b> Rogan–Gladen estimator π̂ = (a + Sp − 1)/(Se + Sp − 1), clipped to [0, 1] (Rogan &amp; Gladen 1978), with Se and Sp from the model's validation counts. Only for attributes with Youden's J ≥ ${MIN_YOUDEN_J} (a threshold chosen on validation data; below it the correction was further from the truth than the raw share); a group whose interval would have zero width gets none. ${level}% interval from ${result.bootstrapReplicates} replicates: ${escapeHtml(CORRECTED_INTERVAL_METHOD)} (cf. Lang &amp; Reiczigel 2014). Corrected differences between two groups use the same replicates, so the shared Se/Sp uncertainty is accounted for.</p>
<p><b>Test of equal prevalence.</b> Pearson's χ² test of independence on the groups × (present, absent) table without continuity correction; Fisher's exact test for two groups when an expected count is below 5; for more groups when any expected count is below 1 or more than 20% are below 5 (Cochran 1954), a Monte Carlo exact test with fixed margins (Hope 1968). The tests use the model's decisions: when the model errs at the same rates in every group, equal true prevalence implies equal decision rates, so the test keeps its level (misclassification costs power, not validity). P-values are adjusted across the ${result.attributes.length} attributes by Benjamini–Hochberg (1995), separately in each panel; attributes with q ≤ ${result.alpha} are flagged.</p>
<p><b>Effect sizes.</b> Cramér's V (Cramér 1946) and the largest difference in prevalence between two groups with Newcombe's hybrid score interval (Newcombe 1998, method 10).</p>
<p><b>Caveats.</b> Faces are treated as independent; several faces of one person, or many photos of one event, make intervals too narrow. Groups come from the user: nothing here predicts a group from a face. Attributes such as Attractive are subjective labels of CelebA's annotators, not facts about a person.</p>
<p class="refs">Wilson EB (1927) JASA 22:209–212 · Rogan WJ, Gladen B (1978) Am J Epidemiol 107:71–76 · Lang Z, Reiczigel J (2014) Prev Vet Med 113:13–22 · Pearson K (1900) Phil Mag 50:157–175 · Fisher RA (1935) The Design of Experiments · Cochran WG (1954) Biometrics 10:417–451 · Hope ACA (1968) JRSS B 30:582–598 · Benjamini Y, Hochberg Y (1995) JRSS B 57:289–300 · Cramér H (1946) Mathematical Methods of Statistics · Newcombe RG (1998) Stat Med 17:873–890 · Efron B, Tibshirani R (1993) An Introduction to the Bootstrap.</p></div>`;
}

function stripXmlProlog(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1b1b;margin:24px auto;max-width:1280px;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.lead{color:#444;margin-top:0}.note{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}tr.sig td:nth-child(2),table.full tr.sig td:first-child{font-weight:600}
table.rank td,table.full td{font-variant-numeric:tabular-nums}
.corr{color:#777}.pair{color:#888;font-size:11px}
.callout{background:#f4f8fc;border-left:4px solid #4c78a8;padding:10px 14px;margin:14px 0}
.callout.warn{background:#fdf6ec;border-left-color:#e45756}
figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:6px}.files{font-weight:400;font-size:12px;margin-left:8px}
.chart{overflow-x:auto}.chart svg{max-width:none;height:auto}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}
.methods p{max-width:900px}.refs{font-size:12px;color:#555}
footer{margin-top:32px;color:#888;font-size:12px}
code{background:#f2f2f2;padding:0 3px;border-radius:3px}
`;
