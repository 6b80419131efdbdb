/**
 * Group comparison in the browser: the same computation and report as `facetally compare`
 * (`compareGroups` from src/analysis/compare.ts, charts from src/report/charts.ts, the HTML report from
 * src/report/html.ts, CSV/JSON from src/report/tables.ts), fed with the records tagged in the page.
 * Charts are rendered to SVG with Vega in the worker (with Vega's expression interpreter: the page's CSP allows
 * no eval), so the report stays self-contained and offline.
 */

import { compareGroups, type CompareResult, type FaceObservation } from '../analysis/compare.js';
import type { InputSummary } from '../analysis/inputs.js';
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
 * Flatten grouped photo records into face observations (the browser twin of `toObservations` in
 * src/analysis/inputs.ts, which imports node:fs). Photos without a group are left out.
 * @throws RangeError when `splitByAttribute` names an attribute missing from a face's decisions.
 */
export function observationsFromPhotos(photos: readonly GroupedPhoto[], groups: readonly string[], splitByAttribute: string | null = null): { faces: FaceObservation[]; summary: InputSummary } {
  const zero = () => Object.fromEntries(groups.map((g) => [g, 0])) as Record<string, number>;
  const summary: InputSummary = { photos: zero(), unreadable: zero(), faces: zero(), lowScoreFaces: 0, errors: [] };
  const faces: FaceObservation[] = [];
  for (const { result: photo, group: g } of photos) {
    if (g === null) continue;
    summary.photos[g] = (summary.photos[g] ?? 0) + 1;
    if (photo.error) {
      summary.unreadable[g] = (summary.unreadable[g] ?? 0) + 1;
      summary.errors.push({ path: photo.path, code: photo.error.code, message: photo.error.message });
      continue;
    }
    for (const face of photo.faces) {
      let level: string | null = null;
      if (splitByAttribute) {
        const d = face.decisions[splitByAttribute];
        if (d === undefined) throw new RangeError(`${photo.path}: a face has no decision for ${splitByAttribute}`);
        level = d ? splitByAttribute : `not ${splitByAttribute}`;
      }
      summary.faces[g] = (summary.faces[g] ?? 0) + 1;
      faces.push({ group: g, level, decisions: face.decisions });
    }
  }
  return { faces, summary };
}

/**
 * Compare the groups and build the report. Vega is loaded on first use (it is large).
 * @throws RangeError when fewer than two groups have photos, or options are out of range.
 */
export async function compareInBrowser(req: WebCompareRequest, sidecar: Sidecar | null, version = '0.1.0'): Promise<WebCompareOutput> {
  const groups = req.groups?.length ? [...req.groups] : [...new Set(req.photos.map((p) => p.group).filter((g): g is string => g !== null))];
  if (groups.length < 2) throw new RangeError(`expected at least two groups but found ${groups.length}${groups.length ? ` (${groups.join(', ')})` : ''}`);
  const split = req.splitByAttribute ?? null;
  const { faces, summary } = observationsFromPhotos(req.photos, groups, split);
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
