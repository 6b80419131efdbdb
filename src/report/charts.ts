/**
 * Vega-Lite specifications of the comparison charts: grouped horizontal bars of prevalence per
 * attribute with interval error bars, one panel (column) per slice of the faces — all faces, then
 * each level of the second factor — like the study's figures.
 */

import type { CompareResult, Panel } from '../analysis/compare.js';

/** Which estimate a chart shows. */
export type ChartMeasure = 'raw' | 'corrected';

/** Options of {@link prevalenceChartSpec}. */
export interface ChartOptions {
  measure: ChartMeasure;
  /** Attributes to show, in display order (top to bottom). Default: all, in the result's order. */
  attributes?: readonly string[];
  title?: string;
  /** Include the panel of all faces when there is a second factor (default true). */
  includeAllPanel?: boolean;
  /** Width of each panel in pixels (default 300). */
  panelWidth?: number;
}

/** One bar of a chart. */
export interface ChartRow {
  panel: string;
  attribute: string;
  group: string;
  value: number;
  lower: number;
  upper: number;
  n: number;
  count: number;
}

/** Label of a panel: "all faces" or "<factor> = <level>". */
export function panelLabel(result: CompareResult, panel: Panel): string {
  if (panel.level === null) return 'all faces';
  return result.factor ? `${result.factor}: ${panel.level}` : panel.level;
}

/**
 * The data rows behind a chart: one per (panel, attribute, group) with faces; groups without
 * faces in a panel, and corrected rows where no correction is available, are left out.
 */
export function chartRows(result: CompareResult, options: ChartOptions): ChartRow[] {
  const attributes = options.attributes ?? result.attributes;
  const panels = chartPanels(result, options);
  const rows: ChartRow[] = [];
  for (const panel of panels) {
    const label = panelLabel(result, panel);
    for (const name of attributes) {
      const a = panel.attributes.find((x) => x.attribute === name);
      if (!a) continue;
      for (const g of a.groups) {
        if (g.prevalence === null || !g.wilson) continue;
        if (options.measure === 'raw') {
          rows.push({ panel: label, attribute: name, group: g.group, value: g.prevalence, lower: g.wilson.lower, upper: g.wilson.upper, n: g.n, count: g.count });
        } else if (g.corrected) {
          rows.push({ panel: label, attribute: name, group: g.group, value: g.corrected.estimate, lower: g.corrected.lower, upper: g.corrected.upper, n: g.n, count: g.count });
        }
      }
    }
  }
  return rows;
}

function chartPanels(result: CompareResult, options: ChartOptions): Panel[] {
  if (result.panels.length === 1) return result.panels;
  return options.includeAllPanel === false ? result.panels.slice(1) : result.panels;
}

/**
 * A Vega-Lite spec (v6 schema) of grouped bars with error bars.
 *
 * @example
 * const spec = prevalenceChartSpec(result, { measure: 'raw', attributes: topAttributes(result, 10) });
 * const svg = await renderSvg(spec);
 */
export function prevalenceChartSpec(result: CompareResult, options: ChartOptions): Record<string, unknown> {
  const attributes = [...(options.attributes ?? result.attributes)];
  const panels = chartPanels(result, options).map((p) => panelLabel(result, p));
  const values = chartRows(result, options);
  const level = Math.round(result.confidence * 100);
  const xTitle = options.measure === 'raw' ? 'share of faces' : 'corrected prevalence';
  const subtitle =
    options.measure === 'raw'
      ? `Share of faces with a positive decision; black lines: ${level}% Wilson score intervals.`
      : `Rogan–Gladen misclassification-corrected prevalence; black lines: ${level}% bootstrap intervals.`;
  const step = Math.max(14, 6 * result.groups.length + 6);
  const tooltip = [
    { field: 'panel', title: 'panel' },
    { field: 'attribute' },
    { field: 'group' },
    { field: 'value', format: '.1%', title: options.measure === 'raw' ? 'prevalence' : 'corrected' },
    { field: 'lower', format: '.1%' },
    { field: 'upper', format: '.1%' },
    { field: 'count' },
    { field: 'n' },
  ];
  const inner = {
    width: options.panelWidth ?? 300,
    height: { step },
    encoding: {
      y: { field: 'attribute', type: 'nominal', sort: attributes, title: null, axis: { labelFontSize: 11, labelLimit: 200 } },
      yOffset: { field: 'group', type: 'nominal', sort: result.groups },
      color: {
        field: 'group',
        type: 'nominal',
        sort: result.groups,
        scale: { scheme: 'tableau10' },
        legend: { title: 'group', orient: 'top', labelLimit: 300 },
      },
    },
    layer: [
      {
        mark: { type: 'bar', height: { band: 1 } },
        encoding: {
          x: {
            field: 'value',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            axis: { format: '%', grid: true, title: xTitle, titleFontSize: 11 },
          },
          tooltip,
        },
      },
      {
        mark: { type: 'rule', strokeWidth: 1.3 },
        // Centre each interval on its own bar: a rule on a discrete offset scale otherwise sits on the sub-band's edge.
        encoding: {
          x: { field: 'lower', type: 'quantitative' },
          x2: { field: 'upper' },
          yOffset: { field: 'group', type: 'nominal', sort: result.groups, bandPosition: 0.5 },
          color: { value: '#111' },
        },
      },
    ],
  };
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title ?? '', subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 11, subtitleColor: '#444' },
    data: { values },
    config: { font: 'DejaVu Sans, Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, axis: { labelFont: 'DejaVu Sans, Helvetica, Arial, sans-serif' } },
    background: 'white',
    padding: 8,
  };
  if (panels.length === 1) return { ...base, ...inner };
  return {
    ...base,
    facet: { column: { field: 'panel', type: 'nominal', sort: panels, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    resolve: { scale: { y: 'shared' } },
    spec: inner,
  };
}

/**
 * The `k` attributes that differ most between groups over all faces (by rank; see
 * `rankAttributes`), most different first.
 */
export function topAttributes(result: CompareResult, k: number): string[] {
  return [...result.panels[0].attributes]
    .sort((a, b) => a.rank - b.rank)
    .slice(0, Math.max(0, k))
    .map((a) => a.attribute);
}

/** One chart of the report: a stable id (file stem), its title and its vega-lite spec. */
export interface PlannedChart {
  id: string;
  title: string;
  spec: Record<string, unknown>;
}

/**
 * The report's charts, in order: the top-`topK` and all attributes, for the raw prevalence and (when the
 * comparison has it) the corrected prevalence. Ids: `prevalence-top`, `corrected-top`, `prevalence-all`,
 * `corrected-all`. Shared by the CLI (`run-compare.ts`) and the web app, which only render them differently.
 */
export function chartPlan(result: CompareResult, topK: number): PlannedChart[] {
  const top = topAttributes(result, topK);
  const measures: ChartMeasure[] = result.corrected ? ['raw', 'corrected'] : ['raw'];
  // A corrected chart shows only attributes with a corrected estimate in some group (the others have no
  // validated sensitivity and specificity, or too little to correct with): its title counts those it shows.
  const correctable = (names: readonly string[]) =>
    names.filter((n) => result.panels.some((p) => p.attributes.find((a) => a.attribute === n)?.groups.some((g) => g.corrected)));
  const plan: PlannedChart[] = [];
  for (const which of ['top', 'all'] as const) {
    for (const measure of measures) {
      const id = `${measure === 'raw' ? 'prevalence' : 'corrected'}-${which}`;
      const what = measure === 'raw' ? 'Prevalence' : 'Corrected prevalence';
      const listed = which === 'top' ? top : result.attributes;
      const shown = measure === 'raw' ? listed : correctable(listed);
      const title =
        shown.length < listed.length
          ? which === 'top'
            ? `${what}: ${shown.length} of the ${listed.length} attributes that differ most (the others cannot be corrected)`
            : `${what}: the ${shown.length} of ${listed.length} attributes that can be corrected`
          : which === 'top'
            ? `${what}: the ${listed.length} attributes that differ most`
            : `${what}: all ${listed.length} attributes`;
      plan.push({ id, title, spec: prevalenceChartSpec(result, { measure, title, attributes: which === 'top' || shown.length < listed.length ? shown : undefined }) });
    }
  }
  return plan;
}
