import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../analysis/observations.js';
import { addPipelineOptions, parsePositiveInt, parseUnit, plural, toTagOptions, unreadableSentence, type PipelineCliOptions } from './options.js';

interface SampleCliOptions extends PipelineCliOptions {
  manifest?: string;
  results?: string;
  perGroup: number;
  seed: number;
  attributes?: string;
  minScore: number;
  out: string;
  overwrite?: boolean;
  quiet?: boolean;
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`expected an integer in [0, 4294967295] but received "${v}"`);
  return n;
}

/** Add `facetally sample` to the program. Argument parsing only; the work is in pipeline/sample. */
export function registerSampleCommand(program: Command): void {
  const cmd = program
    .command('sample')
    .description('Draw a seeded random sample of faces per group to label by hand (for compare --validation-labels)')
    .argument('[folders...]', 'one folder per group (searched recursively), as for compare')
    .option('-m, --manifest <file.csv>', 'CSV with columns path,group; replaces the folders (as for compare)')
    .option('-r, --results <tags.jsonl>', 'reuse `facetally tag` JSONL output instead of running the models (recommended: compare then reuses it too)')
    .addOption(new Option('-n, --per-group <n>', 'faces to draw per group (all of a group that has fewer)').argParser(parsePositiveInt).default(150))
    .addOption(new Option('--seed <n>', 'seed of the random draw: same input + same seed = same sample').argParser(parseSeed).default(1))
    .option('--attributes <names>', 'comma-separated CelebA attributes to label (default: all 40), e.g. Smiling,Eyeglasses')
    .addOption(new Option('--min-score <p>', 'do not sample faces whose detector score is below this (use the same value for compare)').argParser(parseUnit).default(0))
    .requiredOption('-o, --out <dir>', 'labelling folder to create (to-label.csv, crops/, context/)')
    .option('--overwrite', 'write into a folder that is not empty (without it such a folder is refused: it may hold labels)')
    .option('-q, --quiet', 'no progress messages')
    .addHelpText(
      'after',
      `
Why: the model errs differently on your photos than on CelebA, and differently in different groups. A few hand
labels per group fix that: compare --validation-labels measures the model's predictive values (PPV, NPV) in each
group's labelled faces and corrects the prevalence with them (two-phase sampling). See README ("When to label").

Output (in --out):
  to-label.csv        path,face,group,crop,context,<attributes...>: one row per sampled face, attribute cells
                      empty; fill them with 1 (present) / 0 (absent) / blank (not labelled), in a spreadsheet or
                      in the web app's labelling view (facetally serve), then run
                      facetally compare ... --validation-labels to-label.csv
  crops/000001.png    the aligned 178x218 face of row 1 (what the model saw)
  context/000001.jpg  the photo around that face, its box drawn (at most 512 px a side)
  sample.json         seed and faces per group; tags.jsonl when the models were run here (use it with --results)
Rows come in a random order that mixes the groups, so every group is labelled the same way.

Exit codes: 0 success; 1 bad usage or a fatal error; 2 some photos could not be read or had no record in
--results (the sample is drawn from the rest).

Examples:
  facetally tag photos/ --out tags.jsonl
  facetally sample --results tags.jsonl photos/1990s photos/2020s --out to-label --attributes Smiling,Eyeglasses
  facetally compare --results tags.jsonl photos/1990s photos/2020s --validation-labels to-label/to-label.csv`,
    );
  addPipelineOptions(cmd).action(async (folders: string[], opts: SampleCliOptions) => {
    const log = opts.quiet ? undefined : (m: string) => process.stderr.write(`facetally sample: ${m}\n`);
    try {
      const { parseAttributeList, runSample } = await import('../pipeline/sample.js');
      const outcome = await runSample({
        folders,
        manifest: opts.manifest,
        results: opts.results,
        perGroup: opts.perGroup,
        seed: opts.seed,
        attributes: parseAttributeList(opts.attributes),
        minScore: opts.minScore,
        out: opts.out,
        overwrite: opts.overwrite,
        maxPixels: opts.maxPixels * 1e6,
        tagger: async function* (inputs: string[]) {
          const { tagFiles } = await import('../pipeline/library.js');
          yield* tagFiles(inputs, { ...toTagOptions(opts), workers: 1 });
        },
        log,
      });
      log?.(`wrote ${resolve(opts.out, 'to-label.csv')}: ${plural(outcome.rows.length, 'face')} to label`);
      // Said even with --quiet: exit code 2 must come with its reason.
      if (outcome.exitCode === 2) process.stderr.write(`facetally sample: ${unreadableSentence(outcome.unreadable, outcome.missing)}; their faces are not in the sample (counts in sample.json)\n`);
      process.exitCode = outcome.exitCode;
    } catch (err) {
      if (err instanceof UsageError) {
        process.stderr.write(`facetally sample: ${err.message}\n`);
        process.exitCode = 1;
        return;
      }
      throw err;
    }
  });
}
