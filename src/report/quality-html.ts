/**
 * HTML of the comparison's quality section (see `src/analysis/quality.ts`): filter losses per group, the
 * warning, and per measure the quartiles in each group with the Kruskal–Wallis test.
 */
import { QUALITY_SECTION_MEASURES, type QualitySection } from '../analysis/quality.js';
import type { InputSummary } from '../analysis/observations.js';
import { QUALITY_FILTER_NAMES } from '../quality/filter.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fmt(v: number, key: string): string {
  if (!Number.isFinite(v)) return '–';
  if (key === 'eye_distance') return v.toFixed(0);
  if (key === 'abs_yaw' || key === 'pitch' || key === 'abs_roll') return String(Math.round(v) + 0); // + 0: no "-0"
  if (key === 'clipped') return `${(100 * v).toFixed(1)}%`;
  if (key === 'sharpness') return v.toFixed(3);
  return v.toFixed(2);
}

function pValue(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/**
 * The section's HTML: a warning callout when groups differ in expected accuracy, how many faces each group lost to
 * each quality filter (when a rule was given), and the distribution table.
 * @param rule the rule as CLI options (e.g. "--min-eye-distance 11 …"), or null when none was given
 */
export function qualitySectionHtml(section: QualitySection, summary: InputSummary, rule: string | null): string {
  const h: string[] = ['<h2 id="quality">Face quality and pose by group</h2>'];
  if (section.warning) h.push(`<div class="callout warn"><b>Quality differs between groups.</b> ${esc(section.warning)}</div>`);
  const exp = section.groups.map((g) => `${esc(g)}: ${Number.isFinite(section.expectedAccuracyChange[g]) ? `${(100 * section.expectedAccuracyChange[g]).toFixed(1)} points` : '–'}`).join('; ');
  h.push(`<p>Expected change of the model's mean attribute accuracy from each group's face quality (measured relation: ${esc(section.relationSource)}; per face the worst of eye distance, sharpness, brightness, |yaw| and |roll|): ${exp}. The largest gap between two groups is ${section.expectedGapPoints.toFixed(1)} points${section.warning ? '' : ', under the 1-point level that would call for a warning'}.</p>`);
  if (rule) {
    const filters = QUALITY_FILTER_NAMES.filter((f) => section.groups.some((g) => summary.qualityExcludedBy[g]?.[f]));
    h.push(`<p>Quality rule <code>${esc(rule)}</code>: faces that fail it are left out of the whole comparison. Faces each group lost:</p>`);
    h.push(`<table class="data quality-filters"><thead><tr><th>group</th><th>faces left out</th>${filters.map((f) => `<th>${esc(f)}</th>`).join('')}<th>faces kept</th></tr></thead><tbody>`);
    for (const g of section.groups) {
      h.push(`<tr><td>${esc(g)}</td><td>${summary.qualityExcluded[g] ?? 0}</td>${filters.map((f) => `<td>${summary.qualityExcludedBy[g]?.[f] ?? 0}</td>`).join('')}<td>${summary.faces[g] ?? 0}</td></tr>`);
    }
    h.push('</tbody></table><p class="note">A face that fails several filters counts once under "faces left out" and once under each filter it failed.</p>');
  }
  h.push(`<table class="data quality"><thead><tr><th>measure</th>${section.groups.map((g) => `<th>${esc(g)}<br><span class="note">median [quartiles]</span></th>`).join('')}<th>Kruskal–Wallis</th></tr></thead><tbody>`);
  for (const { key, label, unit } of QUALITY_SECTION_MEASURES) {
    const t = section.tests[key];
    const cells = section.groups.map((g) => {
      const d = section.distributions[key][g];
      return `<td>${d.n ? `${fmt(d.median, key)}${unit} [${fmt(d.q1, key)}–${fmt(d.q3, key)}]` : '–'}</td>`;
    });
    h.push(`<tr><td>${esc(label)}</td>${cells.join('')}<td>${t ? `H = ${t.statistic.toFixed(2)}, df ${t.df}, p ${pValue(t.p)}` : '–'}</td></tr>`);
  }
  h.push('</tbody></table>');
  h.push('<p class="note">Kruskal–Wallis H test (tie-corrected, chi-square approximation) of whether each measure has the same distribution in every group; p is not adjusted for the nine measures. Eye distance is in photo pixels; sharpness 0–64; brightness and contrast 0–1; pose in degrees (yaw + = nose to the photo\'s right; pitch is coarse). Definitions and validation: docs/quality.md.</p>');
  return h.join('\n');
}
