/**
 * The comparison view: the table of photos/faces per group, the comparison's options, the report (in a
 * sandboxed iframe) and its downloads. The comparison itself runs in the worker (src/web/compare.ts).
 */

import { CELEBA_ATTRIBUTES } from '../../attributes/names.js';
import type { FromWorker } from '../protocol.js';
import { downloadText } from '../dom.js';
import { resolveQualityRule, type QualityRule } from '../../quality/filter.js';
import { $, app, on, send } from '../state.js';

let lastCompare: { html: string; csv: string; json: string } | null = null;

/** Wire the comparison's controls; called once by the shell. */
export function initCompareView(): void {
  const splitBy = $<HTMLSelectElement>('split-by');
  for (const n of CELEBA_ATTRIBUTES) splitBy.append(new Option(n, n));
  $('run-compare').addEventListener('click', runCompare);
  document.querySelectorAll<HTMLButtonElement>('[data-download]').forEach((b) =>
    b.addEventListener('click', () => {
      if (!lastCompare) return;
      const kind = b.dataset.download as 'csv' | 'json' | 'html';
      const type = { csv: 'text/csv', json: 'application/json', html: 'text/html' }[kind];
      const name = { csv: 'compare.csv', json: 'compare.json', html: 'report.html' }[kind];
      downloadText(lastCompare[kind], name, type);
    }),
  );
  on('groups-changed', updateGroupTable);
  updateGroupTable();
}

/** The view was opened (its tab clicked). */
export function showCompareView(): void {
  updateGroupTable();
}

/** The worker's answer to a comparison request. */
export function compareAnswered(m: Extract<FromWorker, { type: 'compare-result' | 'compare-error' }>): void {
  if (m.type === 'compare-result') {
    lastCompare = { html: m.html, csv: m.csv, json: m.json };
    showReport(m.html);
    $('compare-status').textContent = `Compared ${m.result.groups.length} groups, ${Object.values(m.result.panels[0].faces).reduce((a, b) => a + b, 0)} faces.`;
    $('downloads').hidden = false;
  } else {
    $('compare-status').textContent = `Cannot compare: ${m.message}`;
    $('compare-status').classList.add('error');
  }
  ($('run-compare') as HTMLButtonElement).disabled = false;
}

function updateGroupTable(): void {
  const rows = [...app.groups, null].map((g) => {
    const members = [...app.photos.values()].filter((p) => p.group === g);
    const faces = members.reduce((s, p) => s + (p.result?.faces.length ?? 0), 0);
    const unreadable = members.filter((p) => p.result?.error).length;
    return { g, photos: members.length, faces, unreadable };
  });
  const t = document.createElement('table');
  t.className = 'groups';
  t.innerHTML = '<thead><tr><th>group</th><th>photos</th><th>faces</th><th>unreadable</th></tr></thead>';
  const tb = document.createElement('tbody');
  for (const r of rows) {
    if (r.g === null && r.photos === 0) continue;
    const tr = document.createElement('tr');
    if (r.g === null) tr.className = 'ungrouped';
    for (const v of [r.g ?? '(no group — left out)', r.photos, r.faces, r.unreadable]) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    tb.append(tr);
  }
  t.append(tb);
  const box = $('group-table');
  box.replaceChildren(t);
  if (app.groups.length < 2) {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = 'Comparing needs at least two groups: drop one folder per group, or select photos in the gallery and put them in named groups.';
    box.append(p);
  }
}

/** The quality rule of the controls (as the CLI's options), or null when they set none. @throws Error on a contradiction. */
function qualityRuleFromControls(): QualityRule | null {
  const num = (id: string) => {
    const v = $<HTMLInputElement>(id).value.trim();
    return v === '' ? undefined : Number(v);
  };
  return (
    resolveQualityRule({
      quality: $<HTMLSelectElement>('quality').value,
      minEyeDistance: num('min-eye-distance'),
      minSharpness: num('min-sharpness'),
      maxYaw: num('max-yaw'),
    }) ?? null
  );
}

function runCompare(): void {
  const status = $('compare-status');
  status.classList.remove('error');
  const photos = [...app.photos.values()];
  const pending = photos.filter((p) => p.group !== null && p.status !== 'done').length;
  if (pending) {
    status.textContent = `Wait until all photos are analysed (${pending} to go).`;
    return;
  }
  const grouped = photos.filter((p) => p.group !== null && p.result);
  const used = app.groups.filter((g) => grouped.some((p) => p.group === g));
  if (used.length < 2) {
    status.textContent = 'Put photos into at least two groups first.';
    status.classList.add('error');
    return;
  }
  ($('run-compare') as HTMLButtonElement).disabled = true;
  status.textContent = 'Comparing (bootstrap intervals take a few seconds)…';
  send({
    type: 'compare',
    request: {
      photos: grouped.map((p) => ({ result: p.result!, group: p.group })),
      groups: used,
      splitByAttribute: $<HTMLSelectElement>('split-by').value || null,
      correction: $<HTMLInputElement>('correction').checked,
      quality: qualityRuleFromControls(),
    },
  });
}

function showReport(html: string): void {
  const out = $('compare-out');
  const frame = document.createElement('iframe');
  frame.className = 'report';
  frame.title = 'comparison report';
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.srcdoc = html;
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    if (doc) frame.style.height = `${doc.documentElement.scrollHeight + 24}px`;
  });
  out.replaceChildren(frame);
}
