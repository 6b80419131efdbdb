import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MIN_BOOTSTRAP_REPLICATES } from '../analysis/compare.js';
import { UsageError } from '../analysis/observations.js';
import { DEFAULT_MODEL_DIR } from '../attributes/load-node.js';
import { addPipelineOptions, addQualityOptions, parsePositiveInt, parseUnit, toTagOptions, unreadableSentence, type PipelineCliOptions, type QualityCliOptions } from './options.js';
import { resolveQualityRule } from '../quality/filter.js';

interface CompareCliOptions extends PipelineCliOptions, QualityCliOptions {
  manifest?: string;
  results?: string;
  validationLabels?: string;
  cluster?: string;
  by?: string;
  splitByAttribute?: string;
  minScore: number;
  out: string;
  overwrite?: boolean;
  correction: boolean;
  bootstrap: number;
  seed: number;
  fdr: number;
  confidence: number;
  top: number;
  png: boolean;
  quiet?: boolean;
}

function parseOpenUnit(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number in (0, 1) but received "${v}"`);
  return n;
}

function parseReplicates(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < MIN_BOOTSTRAP_REPLICATES) {
    throw new InvalidArgumentError(`expected an integer >= ${MIN_BOOTSTRAP_REPLICATES} but received "${v}" (a percentile interval from fewer replicates rests on a handful of draws)`);
  }
  return n;
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`expected an integer in [0, 4294967295] but received "${v}"`);
  return n;
}

/** Options (commander key, flag) that only act while photos are tagged, so not with `--results`. */
const IGNORED_WITH_RESULTS: readonly (readonly [string, string])[] = [
  ['scoreThreshold', '--score-threshold'],
  ['minFace', '--min-face'],
  ['maxPixels', '--max-pixels'],
  ['threads', '--threads'],
];

/** Add `facetally compare` to the program. Argument parsing only; the work is in report/run-compare. */
export function registerCompareCommand(program: Command): void {
  const cmd = program
    .command('compare')
    .description('Compare attribute prevalence between groups of photos: intervals, misclassification correction, tests, charts, HTML report')
    .argument('[folders...]', 'one folder per group (searched recursively); the group is named after the folder')
    .option('-m, --manifest <file.csv>', 'CSV with columns path,group (+ optional columns for --by); replaces the folders')
    .option('-r, --results <tags.jsonl>', 'reuse `facetally tag` JSONL output instead of running the models')
    .option('--validation-labels <labels.csv>', 'hand labels of a random sample of faces per group (facetally sample): two-phase prevalence that needs no assumption about the model\'s errors')
    .option('--cluster <column>', 'manifest column naming the cluster of each photo (e.g. person, account, event): every interval resamples whole clusters and every test is cluster-aware (Rao–Scott)')
    .option('--by <column>', 'second factor: a manifest column (e.g. gender, decade); one panel per value')
    .option('--split-by-attribute <name>', 'second factor: a predicted attribute, e.g. Male (panels "Male" / "not Male")')
    .addOption(new Option('--min-score <p>', 'leave out faces whose detector score is below this').argParser(parseUnit).default(0))
    .option('-o, --out <dir>', 'output folder', 'facetally-compare')
    .option('--overwrite', 'replace the report of an earlier run in --out (without it such a folder is refused)')
    .option('--no-correction', 'skip the Rogan–Gladen misclassification correction')
    .addOption(new Option('--bootstrap <n>', `bootstrap replicates for every simulated interval (at least ${MIN_BOOTSTRAP_REPLICATES})`).argParser(parseReplicates).default(2000))
    .addOption(new Option('--seed <n>', 'seed of the bootstrap and Monte Carlo draws').argParser(parseSeed).default(1))
    .addOption(new Option('--fdr <q>', 'false discovery rate for flagging attributes').argParser(parseOpenUnit).default(0.05))
    .addOption(new Option('--confidence <level>', 'confidence level of all intervals').argParser(parseOpenUnit).default(0.95))
    .addOption(new Option('--top <k>', 'attributes in the "differ most" chart').argParser(parsePositiveInt).default(10))
    .option('--no-png', 'write SVG charts only')
    .option('-q, --quiet', 'no progress messages')
    .addHelpText(
      'after',
      `
Groups:
  facetally compare DIR_A DIR_B ...                 each folder is a group
  facetally compare --manifest groups.csv           path,group[,more columns]; relative paths are taken
                                                    from the manifest's folder (or the working directory)
  facetally compare --results tags.jsonl --manifest groups.csv
  facetally compare --results tags.jsonl DIR_A DIR_B   group = the folder a recorded photo lies in
Faces are the unit: a photo with three faces contributes three faces to its group.
Quality: the report has a section with each group's face quality and pose (quartiles, Kruskal–Wallis test) and
  warns when the groups' quality differs enough to change the model's accuracy by a point or more. With
  --quality default (or --min-eye-distance, --min-sharpness, --max-yaw, --min/--max-brightness) faces that fail
  are left out, and the report says how many each group lost to each filter. See docs/quality.md.

For every group (and every level of --by / --split-by-attribute) and each of the 40 attributes:
  n faces, count, prevalence with a Wilson score interval; the Rogan–Gladen corrected prevalence with a
  bootstrap interval (uses the model's validation sensitivity/specificity from attributes.json);
  a test of equal prevalence (chi-square; Fisher exact / Monte Carlo exact for small expected counts),
  Benjamini–Hochberg q-values across the 40 attributes, Cramér's V, and the largest pairwise difference
  with a Newcombe interval. Attributes are ranked by how much they differ. See docs/compare.md.
The corrected prevalence assumes the model errs on these photos, in every group, as on CelebA validation faces;
it is given only where the model separates the attribute well (Youden's J >= 0.8). For figures without that
assumption, label a random sample of your faces (facetally sample) and add --validation-labels: the two-phase
prevalence P(yes)*PPV + P(no)*(1 - NPV) per group, with intervals, tests and "labels to halve the interval".
Several photos per person or event: --cluster COLUMN (manifest) resamples whole clusters, Rao-Scott tests.

Output (in --out):
  compare.json                   everything, machine-readable (format "facetally-compare/1")
  compare.csv                    one row per panel x attribute x group
  report.html                    tables + charts; self-contained, works offline
  charts/prevalence-top.svg|png  grouped bars with error bars, one panel per level of the second factor
  charts/prevalence-all.svg|png  (and corrected-top / corrected-all when the correction is on)
  charts/*.vl.json               the Vega-Lite specs

Exit codes: 0 success; 1 bad usage or a fatal error; 2 some photos could not be read or were missing from
--results (the report is still written, from the rest).

Examples:
  facetally compare photos/1990s photos/2020s --split-by-attribute Male
  facetally tag photos/ --out tags.jsonl && facetally compare --results tags.jsonl --manifest groups.csv --by decade
  facetally compare --results tags.jsonl photos/1990s photos/2020s --validation-labels to-label/to-label.csv
  facetally compare --results tags.jsonl --manifest groups.csv --cluster person`,
    );
  addQualityOptions(cmd, 'left out of the comparison and counted per group');
  addPipelineOptions(cmd).action(async (folders: string[], opts: CompareCliOptions) => {
    const quality = resolveQualityRule(opts);
    const log = opts.quiet ? undefined : (m: string) => process.stderr.write(`facetally compare: ${m}\n`);
    if (opts.results) {
      // The records of --results were detected and tagged already: detection options given now change nothing.
      const given = IGNORED_WITH_RESULTS.filter(([key]) => cmd.getOptionValueSource(key) === 'cli').map(([, flag]) => flag);
      if (given.length) {
        process.stderr.write(`facetally compare: warning: ${given.join(', ')} ignored with --results: its records were made by \`tag\` with the settings in their provenance (shown in the report); tag again to change them, or use --min-score and the quality filters to leave faces out\n`);
      }
    }
    const sidecar = opts.correction ? resolve(opts.model ?? DEFAULT_MODEL_DIR, 'attributes.json') : null;
    try {
      // Loaded here, not at start-up: the report code (vega, vega-lite) takes a quarter of a second to load.
      const { runCompare } = await import('../report/run-compare.js');
      const outcome = await runCompare({
        folders,
        manifest: opts.manifest,
        results: opts.results,
        validationLabels: opts.validationLabels,
        cluster: opts.cluster,
        by: opts.by,
        splitByAttribute: opts.splitByAttribute,
        minScore: opts.minScore,
        quality,
        out: opts.out,
        overwrite: opts.overwrite,
        sidecar,
        sidecarExplicit: opts.model !== undefined,
        bootstrap: opts.bootstrap,
        seed: opts.seed,
        alpha: opts.fdr,
        confidence: opts.confidence,
        top: opts.top,
        png: opts.png,
        tagger: async function* (inputs: string[]) {
          const { tagFiles } = await import('../pipeline/library.js');
          yield* tagFiles(inputs, { ...toTagOptions(opts), workers: 1 });
        },
        log,
        warn: (m: string) => process.stderr.write(`facetally compare: ${m}\n`),
      });
      log?.(`wrote ${resolve(opts.out, 'report.html')} (+ compare.json, compare.csv, charts/)`);
      if (outcome.exitCode === 2) {
        process.stderr.write(`facetally compare: ${unreadableSentence(outcome.context.summary.errors.length, outcome.context.missing.length)}; see report.html\n`);
      }
      process.exitCode = outcome.exitCode;
    } catch (err) {
      if (err instanceof UsageError) {
        process.stderr.write(`facetally compare: ${err.message}\n`);
        process.exitCode = 1;
        return;
      }
      throw err;
    }
  });
}
