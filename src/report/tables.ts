import { ALL_PANEL } from '../analysis/observations.js';
import { csvRow } from '../csv.js';
import type { Provenance } from '../pipeline/provenance.js';
/**
 * The comparison as a JSON document and as a long-format CSV table.
 */

import type { CompareResult } from '../analysis/compare.js';
import type { InputSummary } from '../analysis/inputs.js';
import type { QualitySection } from '../analysis/quality.js';

/** Context of a run, written beside the statistics. */
export interface CompareContext {
  /** How groups were defined: "folders", "manifest", "results+manifest", "results+folders". */
  mode: string;
  inputs: string[];
  manifest: string | null;
  results: string | null;
  /** The hand-labels file of `--validation-labels` (two-phase estimates), or null. */
  validationLabels?: string | null;
  /** The second factor's source: `--by COLUMN`, `--split-by-attribute NAME`, or null. */
  secondFactor: { kind: 'column' | 'attribute'; name: string } | null;
  minScore: number;
  /** The attribute model whose validation counts drove the correction, or null. */
  model: { name: string; sidecar: string; validationSplit: string; validationN: number } | null;
  /** Why the correction is off, when it is. */
  correctionOff: string | null;
  summary: InputSummary;
  /** The quality rule that filtered faces, as CLI options (e.g. "--min-eye-distance 11 …"), or null. */
  qualityRule?: string | null;
  /** Per group: quality and pose distributions, tests, expected accuracy change (null when no face has them). */
  quality?: QualitySection | null;
  /** Photos listed in the manifest that were absent from the results. */
  missing: string[];
  created: string;
  version: string;
  /**
   * With --results: the distinct provenances of its records (see src/pipeline/provenance.ts; `cwd` left out), and
   * how many records carried none (written before records had provenance). Null when the photos were tagged now.
   */
  resultsProvenance?: { provenances: Omit<Provenance, 'cwd'>[]; recordsWithout: number } | null;
}

/** The document written to compare.json. */
export interface CompareDocument {
  format: 'facetally-compare/1';
  context: CompareContext;
  result: CompareResult;
}

/** Assemble compare.json's document. */
export function compareDocument(result: CompareResult, context: CompareContext): CompareDocument {
  return { format: 'facetally-compare/1', context, result };
}

/** CSV column names of {@link compareCsv}, in order. */
export const CSV_COLUMNS = [
  'panel', 'attribute', 'group', 'n', 'count', 'prevalence', 'wilson_lower', 'wilson_upper',
  'corrected', 'corrected_lower', 'corrected_upper', 'sensitivity', 'specificity',
  'test', 'statistic', 'df', 'p', 'q', 'significant', 'cramers_v',
  'diff_higher_group', 'diff_lower_group', 'diff', 'diff_lower', 'diff_upper',
  'corrected_diff', 'corrected_diff_lower', 'corrected_diff_upper', 'rank', 'corrected_clipped',
  'labelled', 'two_phase', 'two_phase_lower', 'two_phase_upper', 'ppv', 'npv', 'two_phase_pooled',
  'two_phase_p', 'two_phase_q', 'two_phase_diff_higher_group', 'two_phase_diff_lower_group', 'two_phase_diff', 'two_phase_diff_lower', 'two_phase_diff_upper', 'labels_to_halve',
] as const;

/**
 * One row per (panel, attribute, group): the group's figures, then the attribute's test and
 * effect sizes (repeated on each of its groups' rows). `panel` is "all" or the factor level (a level may not be
 * named "all": {@link toObservations} refuses it). Empty fields mean "not available" (no faces, no correction,
 * untested). Written with the project's CSV writer ({@link csvRow}: numbers to 8 significant digits, text that
 * starts like a spreadsheet formula prefixed with `'`).
 */
export function compareCsv(result: CompareResult): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const panel of result.panels) {
    for (const a of panel.attributes) {
      const c = a.correction && 'sensitivity' in a.correction ? a.correction : null;
      const d = a.largestDifference;
      const t = a.twoPhase ?? null;
      const td = t?.largestDifference ?? null;
      for (const [i, g] of a.groups.entries()) {
        const tg = t?.groups[i] ?? null;
        const row = [
          panel.level ?? ALL_PANEL, a.attribute, g.group, g.n, g.count, g.prevalence, g.wilson?.lower, g.wilson?.upper,
          g.corrected?.estimate, g.corrected?.lower, g.corrected?.upper, c?.sensitivity, c?.specificity,
          a.test?.method, a.test?.statistic, a.test?.df, a.test?.p, a.q, a.test ? a.significant : undefined, a.test?.cramersV,
          d?.higherGroup, d?.lowerGroup, d?.difference, d?.lower, d?.upper,
          d?.corrected?.difference, d?.corrected?.lower, d?.corrected?.upper, a.rank, g.corrected?.clipped ?? undefined,
          tg?.labelled, tg?.estimate, tg?.lower, tg?.upper, tg?.ppv, tg?.npv, tg?.pooled ?? undefined,
          t?.test?.p, t?.q, td?.higherGroup, td?.lowerGroup, td?.difference, td?.lower, td?.upper, tg?.labelsToHalve,
        ];
        lines.push(csvRow(row, { significantDigits: 8 }));
      }
    }
  }
  return lines.join('\n') + '\n';
}

