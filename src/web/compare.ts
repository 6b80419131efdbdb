/**
 * Group comparison in the browser: the same computation and report as `facetally compare`
 * (`compareGroups` from src/analysis/compare.ts, charts from src/report/charts.ts, the HTML report from
 * src/report/html.ts, CSV/JSON from src/report/tables.ts), fed with the records tagged in the page.
 * Charts are rendered to SVG with Vega in the worker (with Vega's expression interpreter: the page's CSP allows
 * no eval), so the report stays self-contained and offline.
 */

import { compareGroups, type CompareResult } from '../analysis/compare.js';
import { toObservations, type SecondFactor } from '../analysis/observations.js';
import { qualitySection } from '../analysis/quality.js';
import { describeRule, type QualityRule } from '../quality/filter.js';
import type { Sidecar } from '../attributes/sidecar.js';
import { chartPlan } from '../report/charts.js';
import { renderReport, type ReportChart } from '../report/html.js';
import { compareCsv, compareDocument, type CompareContext } from '../report/tables.js';
import type { PhotoResult } from '../types.js';

/** A tagged photo and the group the user put it in (null: not in any group, left out). */
export interface GroupedPhoto {
  result: PhotoResult;
  group: string | null;
}

/** What the page asks for. */
export interface WebCompareRequest {
  photos: GroupedPhoto[];
  /** Group order (default: order of first appearance). */
  groups?: string[];
  /** Second factor: a predicted attribute (panels "<name>" / "not <name>"), or null. */
  splitByAttribute?: string | null;
  /** Rogan–Gladen correction with the sidecar's validation counts (default true). */
  correction?: boolean;
  /** Bootstrap replicates (default 2000, as the CLI). */
  bootstrap?: number;
  seed?: number;
  /** Attributes in the "differ most" chart (default 10). */
  top?: number;
  /** Quality filters (as `--quality default`, `--min-eye-distance`, …); faces that fail are left out and counted. */
  quality?: QualityRule | null;
}

/** Everything the comparison view shows and offers for download. */
export interface WebCompareOutput {
  result: CompareResult;
  context: CompareContext;
  charts: ReportChart[];
  /** report.html, compare.csv, compare.json: the same files as the CLI writes. */
  html: string;
  csv: string;
  json: string;
}

/**
 * Flatten grouped photo records into face observations with the CLI's `toObservations`
 * (src/analysis/observations.ts). Photos without a group are left out; every face counts (no score floor).
 * @throws UsageError when `splitByAttribute` names an attribute missing from a face's decisions.
 */
export function observationsFromPhotos(
  photos: readonly GroupedPhoto[],
  groups: readonly string[],
  splitByAttribute: string | null = null,
  quality?: QualityRule | null,
): ReturnType<typeof toObservations> {
  const assigned = photos.flatMap((p) => (p.group === null ? [] : [{ photo: p.result, assignment: { group: p.group } }]));
  const factor: SecondFactor = splitByAttribute ? { kind: 'attribute', attribute: splitByAttribute } : { kind: 'none' };
  return toObservations(assigned, factor, 0, groups, undefined, undefined, quality ?? undefined);
}

/**
 * Compare the groups and build the report. Vega is loaded on first use (it is large).
 * @throws RangeError when fewer than two groups have photos, or options are out of range.
 */
export async function compareInBrowser(req: WebCompareRequest, sidecar: Sidecar | null, version = '0.1.0'): Promise<WebCompareOutput> {
  const groups = req.groups?.length ? [...req.groups] : [...new Set(req.photos.map((p) => p.group).filter((g): g is string => g !== null))];
  if (groups.length < 2) throw new RangeError(`expected at least two groups but found ${groups.length}${groups.length ? ` (${groups.join(', ')})` : ''}`);
  const split = req.splitByAttribute ?? null;
  const { faces, summary, measured } = observationsFromPhotos(req.photos, groups, split, req.quality);
  const correction = (req.correction ?? true) && sidecar !== null;
  const result = compareGroups(faces, {
    groups,
    factor: split,
    levels: split ? [split, `not ${split}`] : undefined,
    validation: correction && sidecar ? sidecar.validation.per_attribute : null,
    bootstrapReplicates: req.bootstrap ?? 2000,
    seed: req.seed ?? 1,
  });
  const context: CompareContext = {
    mode: 'web',
    inputs: groups,
    manifest: null,
    results: null,
    secondFactor: split ? { kind: 'attribute', name: split } : null,
    minScore: 0,
    model: correction && sidecar ? { name: sidecar.model, sidecar: 'attributes.json', validationSplit: sidecar.validation.split, validationN: sidecar.validation.n } : null,
    correctionOff: correction ? null : sidecar ? 'The misclassification correction was turned off' : 'No model sidecar was available',
    summary,
    qualityRule: req.quality ? describeRule(req.quality) : null,
    quality: measured.length ? qualitySection(measured, groups) : null,
    missing: [],
    created: new Date().toISOString(),
    version,
  };
  const topK = req.top ?? 10;
  const charts = await renderCharts(result, topK);
  return {
    result,
    context,
    charts,
    html: renderReport(result, context, charts, topK),
    csv: compareCsv(result),
    json: JSON.stringify(compareDocument(result, context), null, 1) + '\n',
  };
}

/** The CLI's charts (top-k and all attributes; raw and, when available, corrected), rendered to SVG by Vega. */
async function renderCharts(result: CompareResult, topK: number): Promise<ReportChart[]> {
  // The CSP of `facetally serve` forbids eval, so Vega runs its expressions through its AST interpreter.
  const [vega, vl, { expressionInterpreter }] = await Promise.all([import('vega'), import('vega-lite'), import('vega-interpreter')]);
  const charts: ReportChart[] = [];
  for (const { id, title, spec } of chartPlan(result, topK)) {
    const view = new vega.View(vega.parse(vl.compile(spec as never).spec, undefined, { ast: true }), { renderer: 'none', expr: expressionInterpreter as never });
    try {
      charts.push({ id, title, svg: await view.toSVG(), files: [] });
    } finally {
      view.finalize();
    }
  }
  return charts;
}
