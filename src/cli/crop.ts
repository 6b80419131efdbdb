import { Command, InvalidArgumentError, Option } from 'commander';
import { addPipelineOptions, addQualityOptions, plural, unreadableSentence, toTagOptions, type PipelineCliOptions, type QualityCliOptions } from './options.js';
import { resolveQualityRule } from '../quality/filter.js';
import { createProgress } from './progress.js';
import { countPhotos } from './tag.js';

function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new InvalidArgumentError(`expected K/N with 0 <= K < N (e.g. 0/2) but received "${v}"`);
  return { index, count };
}

export function registerCropCommand(program: Command): void {
  const cmd = program
    .command('crop')
    .description('Write the canonical 178x218 (CelebA-aligned) crop of every face as PNG, with a crops.jsonl manifest')
    .argument('<inputs...>', 'photo files or folders (folders are searched recursively)')
    .requiredOption('-o, --out <dir>', 'output folder')
    .addOption(new Option('--shard <K/N>', 'process only every N-th photo starting at K (run N processes side by side)').argParser(parseShard))
    .option('--overwrite', 'start the manifest again when --out holds one of an earlier run (without it such a folder is refused)')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Output: OUT/<path relative to the input folder>__face<i>.png (face 0 = highest detector score) and
OUT/crops.jsonl, one line per crop: {"crop", "source", "face", "score", "box": {"x","y","width","height"}, "pose", "quality"}
("face" and "box" are those of faces[face] in \`facetally tag\`'s record of the same photo and settings); unreadable photos go to OUT/errors.jsonl
(with --shard K/N the two files are crops.shardK.jsonl and errors.shardK.jsonl). A folder that already holds a
non-empty manifest or error list is refused unless --overwrite.
Quality filters (--quality default, --min-eye-distance, ...): faces that fail get no crop and a line in
OUT/excluded.jsonl with the reasons. See docs/quality.md.
Exit codes: 0 every photo read; 2 some photos could not be read; 1 bad usage or fatal error; 130 interrupted (Ctrl-C).`,
    );
  addQualityOptions(cmd, 'no crop; listed in excluded.jsonl');
  addPipelineOptions(cmd, { hideModel: true }).action(async (inputs: string[], opts: PipelineCliOptions & QualityCliOptions & { out: string; shard?: { index: number; count: number }; quiet?: boolean; overwrite?: boolean }) => {
    // Crops come from detection and alignment only; accepting --model silently would suggest it changed them.
    if (opts.model !== undefined) throw new InvalidArgumentError('crop does not run the attribute model, so --model has no effect here; leave it out');
    const total = process.stderr.isTTY && !opts.quiet ? await countPhotos(inputs) : undefined;
    const progress = createProgress('crop', total && opts.shard ? Math.ceil(total / opts.shard.count) : total, opts.quiet);
    // Ctrl-C: say what is on disk, then die of SIGINT with its default action (the shell sees 130). Not
    // process.exit: the detector runs in this thread, and exiting while onnxruntime is in a call can abort (134).
    let done = 0;
    const onSigint = () => {
      progress.stop();
      process.stderr.write(
        `\nfacetally crop: interrupted; the crops and manifest lines of ${plural(done, 'photo')} are complete in ${opts.out}; crop cannot resume: rerun with --overwrite to start again\n`,
      );
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
    };
    process.on('SIGINT', onSigint);
    const { cropFiles } = await import('../pipeline/crop.js');
    const res = await cropFiles(inputs, opts.out, {
      ...toTagOptions(opts),
      shard: opts.shard,
      overwrite: opts.overwrite,
      quality: resolveQualityRule(opts),
      onPhoto: (p) => {
        done++;
        progress.tick({ faces: p.faces, error: !!p.error });
      },
    }).finally(() => process.removeListener('SIGINT', onSigint));
    progress.stop();
    process.stderr.write(`facetally crop: ${plural(res.photos, 'photo')}, ${plural(res.faces, 'face')}, ${res.errors} unreadable${res.excluded ? `, ${plural(res.excluded, 'face')} left out by the quality rule (excluded.jsonl)` : ''}\n`);
    if (res.errors > 0) {
      process.stderr.write(`facetally crop: ${unreadableSentence(res.errors)} (see errors.jsonl)\n`);
      process.exitCode = 2;
    }
  });
}
