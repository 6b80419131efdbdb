import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { compareGroups } from '../../src/analysis/compare.js';
import { chartPlan, chartRows, prevalenceChartSpec, topAttributes } from '../../src/report/charts.js';
import { formatP, pct, escapeHtml } from '../../src/report/html.js';
import { renderSvg, svgToPng } from '../../src/report/render.js';
import { syntheticResults } from './fixtures.js';

const photos = syntheticResults(['A', 'B', 'C'], 40);
const faces = photos.flatMap((p) => p.faces.map((f) => ({ group: p.path.split('/')[1], level: f.decisions.Male ? 'Male' : 'not Male', decisions: f.decisions })));
const validation = Object.fromEntries(Object.keys(faces[0].decisions).map((a) => [a, { tp: 90, fn: 10, tn: 180, fp: 20 }]));
const result = compareGroups(faces, { factor: 'Male', validation, bootstrapReplicates: 200 });

describe('chart specs', () => {
  it('have one row per panel x attribute x group with faces', () => {
    const rows = chartRows(result, { measure: 'raw' });
    expect(rows).toHaveLength(3 * 40 * 3);
    const r = rows.find((x) => x.panel === 'all faces' && x.attribute === 'Smiling' && x.group === 'A')!;
    const a = result.panels[0].attributes.find((x) => x.attribute === 'Smiling')!.groups[0];
    expect(r).toMatchObject({ value: a.prevalence, lower: a.wilson!.lower, upper: a.wilson!.upper, n: a.n });
    expect(new Set(rows.map((x) => x.panel))).toEqual(new Set(['all faces', 'Male: Male', 'Male: not Male']));
  });
  it('put Smiling, the planted difference, at the top', () => {
    expect(topAttributes(result, 3)[0]).toBe('Smiling');
  });
  it('facet by panel when there is a second factor, and not otherwise', () => {
    expect(prevalenceChartSpec(result, { measure: 'raw' })).toHaveProperty('facet');
    const single = compareGroups(faces.map((f) => ({ ...f, level: null })), { bootstrapReplicates: 200 });
    expect(prevalenceChartSpec(single, { measure: 'raw' })).not.toHaveProperty('facet');
  });
});

describe('chart plan', () => {
  it('titles count what each chart shows: a corrected chart names only the attributes that could be corrected', () => {
    // Only three attributes get validation counts good enough to correct (Youden J 0.8); the rest J = 0.35.
    const good = ['Smiling', 'Male', 'Eyeglasses'];
    const partial = Object.fromEntries(Object.keys(validation).map((a) => [a, good.includes(a) ? validation[a] : { tp: 60, fn: 40, tn: 150, fp: 50 }]));
    const r = compareGroups(faces, { factor: 'Male', validation: partial, bootstrapReplicates: 200 });
    const plan = Object.fromEntries(chartPlan(r, 10).map((c) => [c.id, c]));
    const top = topAttributes(r, 10);
    const inTop = good.filter((a) => top.includes(a));
    expect(inTop).toContain('Smiling');
    expect(plan['prevalence-top'].title).toBe('Prevalence: the 10 attributes that differ most');
    expect(plan['corrected-top'].title).toBe(`Corrected prevalence: ${inTop.length} of the 10 attributes that differ most (the others cannot be corrected)`);
    expect(plan['corrected-all'].title).toBe('Corrected prevalence: the 3 of 40 attributes that can be corrected');
    expect(plan['prevalence-all'].title).toBe('Prevalence: all 40 attributes');
    // With every attribute correctable the titles are the plain ones.
    const full = Object.fromEntries(chartPlan(result, 10).map((c) => [c.id, c.title]));
    expect(full['corrected-top']).toBe('Corrected prevalence: the 10 attributes that differ most');
    expect(full['corrected-all']).toBe('Corrected prevalence: all 40 attributes');
  });
});

describe('rendering without a browser', () => {
  it('renders a faceted chart to SVG with bars, error bars and labels, and to PNG', async () => {
    const top = topAttributes(result, 5);
    const svg = await renderSvg(prevalenceChartSpec(result, { measure: 'corrected', attributes: top, title: 'Top 5' }));
    expect(svg.startsWith('<svg')).toBe(true);
    // 3 panels x 5 attributes x 3 groups bars and as many error bars.
    expect((svg.match(/aria-roledescription="bar"/g) ?? []).length).toBe(45);
    expect((svg.match(/aria-roledescription="rule mark"/g) ?? []).length).toBe(45);
    for (const name of top) expect(svg).toContain(`>${name}<`);
    expect(svg).toContain('Top 5');
    expect(svg).toContain('Male: not Male');
    const png = await svgToPng(svg);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(600);
    // Not blank: the image has colour (the bars).
    const stats = await sharp(png).stats();
    expect(stats.channels[0].min).toBeLessThan(128);
  });
});

describe('formatting', () => {
  it('formats p-values and percentages for people', () => {
    expect(formatP(0)).toBe('< 1e-300');
    expect(formatP(0.0004)).toBe('4.0e-4');
    expect(formatP(0.0312)).toBe('0.031');
    expect(formatP(null)).toBe('–');
    expect(pct(0.3512)).toBe('35.1%');
    expect(escapeHtml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});
