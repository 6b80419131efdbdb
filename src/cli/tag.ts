import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { listPhotos } from '../pipeline/files.js';
import { Tagger } from '../pipeline/tag.js';
import { tagCsvHeader, tagCsvRows } from '../pipeline/csv.js';
import type { PhotoResult } from '../types.js';
import { addPipelineOptions } from './main.js';
import { toTagOptions, type PipelineCliOptions } from './options.js';
import { createProgress } from './progress.js';

interface TagCliOptions extends PipelineCliOptions {
  out?: string;
  format: 'jsonl' | 'csv';
  quiet?: boolean;
}

/** Count the photos an input list names (for the progress total), without holding the listing. */
export async function countPhotos(inputs: string[]): Promise<number> {
  let n = 0;
  for await (const _ of listPhotos(inputs)) n++;
  return n;
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

export function registerTagCommand(program: Command): void {
  const cmd = program
    .command('tag')
    .description('Detect faces and predict the 40 CelebA attributes; one JSON line per photo (or CSV, one row per face)')
    .argument('<inputs...>', 'photo files or folders (folders are searched recursively)')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
JSON line per photo:
  {"path", "width", "height", "faces": [{"box": {"x","y","width","height"}, "score", "landmarks": [[x,y] x6],
   "attributes": {"5_o_Clock_Shadow": p, ..., "Young": p}, "decisions": {name: true|false}}], "error": null}
  Coordinates are pixels of the EXIF-oriented photo. Landmarks: right eye, left eye, nose tip, mouth centre,
  right ear tragion, left ear tragion (the subject's right). A photo that cannot be read has "faces": [] and
  "error": {"code", "message"}; the run goes on.
Exit codes: 0 every photo read; 2 some photos could not be read; 1 bad usage or fatal error.`,
    );
  addPipelineOptions(cmd).action(async (inputs: string[], opts: TagCliOptions) => {
    const tagger = await Tagger.create(toTagOptions(opts));
    const out: NodeJS.WritableStream = opts.out ? createWriteStream(opts.out) : process.stdout;
    const total = process.stderr.isTTY && !opts.quiet ? await countPhotos(inputs) : undefined;
    const progress = createProgress('tag', total, opts.quiet);
    let errors = 0;
    if (opts.format === 'csv') await write(out, tagCsvHeader(tagger.attributes!.names) + '\n');
    for await (const item of listPhotos(inputs)) {
      const rec: PhotoResult = item.problem
        ? { path: item.path, width: 0, height: 0, faces: [], error: item.problem }
        : await tagger.tagFile(item.path);
      if (rec.error) errors++;
      await write(out, opts.format === 'csv' ? tagCsvRows(rec, tagger.attributes!.names).join('\n') + '\n' : JSON.stringify(rec) + '\n');
      progress.tick({ faces: rec.faces.length, error: !!rec.error });
    }
    progress.stop();
    if (opts.out) {
      (out as WriteStream).end();
      await once(out, 'finish');
    }
    if (errors > 0) {
      process.stderr.write(`facetally tag: ${errors} photo(s) could not be read (see their "error" fields)\n`);
      process.exitCode = 2;
    }
  });
}
