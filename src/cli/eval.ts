import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { EvalSource } from '../eval/run.js';
import { addPipelineOptions, plural, refuseExistingOutput, toTagOptions, type PipelineCliOptions } from './options.js';
import { createProgress } from './progress.js';

interface EvalCliOptions extends PipelineCliOptions {
  celeba?: string;
  labels?: string;
  images?: string;
  splitFile?: string;
  identityFile?: string;
  split: 'test' | 'val' | 'train';
  format: 'md' | 'csv' | 'json';
  out?: string;
  overwrite?: boolean;
  quiet?: boolean;
}

export function registerEvalCommand(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Measure attribute accuracy on labelled images by running the full pipeline (as `tag` does)')
    .option('--celeba <dir>', 'a CelebA folder: img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt')
    .option('--labels <file>', 'a label file in CelebA layout (count, names, then "file v1 .. v40" with 1/-1)')
    .option('--images <dir>', 'folder of the images named in --labels')
    .option('--split-file <file>', 'split file ("file split", 0 train, 1 val, 2 test) for --labels')
    .option('--identity-file <file>', 'file of "file person" lines (CelebA\'s identity_CelebA.txt) for --labels: adds intervals that resample people (found by itself with --celeba)')
    .addOption(new Option('--split <split>', 'which split to evaluate').choices(['test', 'val', 'train']).default('test'))
    .addOption(new Option('-f, --format <format>', 'report format').choices(['md', 'csv', 'json']).default('md'))
    .option('-o, --out <file>', 'write the report here instead of stdout (an existing file is refused unless --overwrite)')
    .option('--overwrite', 'replace an existing --out file')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText('after', `
Reports per attribute: n, accuracy, balanced accuracy (mean of true-positive and true-negative rates), the
majority-class baseline, and two published accuracies for context: LNets+ANet (Liu et al. 2015, on the full
official test split) and the 2016 study (Wang et al. 2016, Table 3; its own crops of CelebA, and test images that
differ from the official split, so not a like-for-like comparison); then means over the 40 attributes with 95%
bootstrap intervals (resampling images, and resampling people when identities are known: CelebA's
identity_CelebA.txt is used when present), faces the detector missed (scored as errors), and subgroups by the
true Male and Young labels. Every image present in the images folder and in the chosen split is used.
Examples:
  facetally eval --celeba ../shared/data/celeba --split test
  facetally eval --labels hq/CelebAMask-HQ-attribute-anno.txt --images hq/images --split-file hq/list_eval_partition.txt --split val
Exit codes: 0 done; 2 some images could not be read (each counts as a missed face; the report is still written);
1 bad usage or unreadable label files.`);
  addPipelineOptions(cmd).action(async (opts: EvalCliOptions) => {
    const [{ celebaSource, runEval }, { evalCsv, evalMarkdown }] = await Promise.all([import('../eval/run.js'), import('../eval/format.js')]);
    let src: EvalSource;
    if (opts.celeba) {
      // A missing or wrong folder is named as such, not as the first file that could not be opened in it.
      if (!existsSync(opts.celeba) || !statSync(opts.celeba).isDirectory()) {
        throw new InvalidArgumentError(`--celeba ${opts.celeba}: no such folder (give the CelebA folder holding img_align_celeba/, list_attr_celeba.txt and list_eval_partition.txt)`);
      }
      src = celebaSource(opts.celeba, opts.split);
    }
    else if (opts.labels && opts.images) {
      // A --split without a split file would be silently ignored (every labelled image evaluated): refuse it.
      if (!opts.splitFile && cmd.getOptionValueSource('split') === 'cli') {
        throw new InvalidArgumentError(`--split ${opts.split} needs --split-file FILE with --labels (without a split file every labelled image in --images is evaluated)`);
      }
      src = { imagesDir: opts.images, labelsFile: opts.labels, splitFile: opts.splitFile, split: opts.splitFile ? opts.split : undefined, identityFile: opts.identityFile };
    } else throw new InvalidArgumentError('give --celeba DIR, or --labels FILE with --images DIR');
    // Refused before the run, not after it: nothing already written is lost, and no minutes of work either.
    if (opts.out) refuseExistingOutput(opts.out, { replace: opts.overwrite, remedy: 'add --overwrite to replace it' });
    let progress: ReturnType<typeof createProgress> | undefined;
    const report = await runEval(src, {
      ...toTagOptions(opts),
      onImage: (i, n, image) => {
        progress ??= createProgress('eval', n, opts.quiet);
        progress.tick(image);
      },
    });
    progress?.stop();
    const text = opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : opts.format === 'csv' ? evalCsv(report) : evalMarkdown(report);
    if (opts.out) await writeFile(opts.out, text);
    else process.stdout.write(text);
    process.stderr.write(`facetally eval: ${report.n} images in ${report.seconds.toFixed(0)} s, mean accuracy ${(100 * report.meanAccuracy.estimate).toFixed(2)}%\n`);
    if (report.unreadable > 0) {
      process.stderr.write(`facetally eval: ${plural(report.unreadable, 'image')} could not be read (scored as missed faces)\n`);
      process.exitCode = 2;
    }
  });
}
