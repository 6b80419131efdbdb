import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { renderOverlay } from '../draw/overlay.js';
import { decodeImageFile } from '../image/decode.js';
import { Tagger } from '../pipeline/tag.js';
import { addPipelineOptions } from './main.js';
import { parsePositiveInt, toTagOptions, type PipelineCliOptions } from './options.js';

export function registerDrawCommand(program: Command): void {
  const cmd = program
    .command('draw')
    .description('Draw boxes, keypoints and the top attributes of each face over a photo (PNG)')
    .argument('<photo>', 'one photo file')
    .requiredOption('-o, --out <file.png>', 'output PNG')
    .addOption(new Option('--top <n>', 'attributes to print per face (most probable positive decisions)').argParser(parsePositiveInt).default(4))
    .addHelpText('after', `
Keypoint colours: eyes cyan, nose yellow, mouth pink, ear tragions green.
Exit codes: 0 drawn; 2 the photo could not be read; 1 bad usage or fatal error.`);
  addPipelineOptions(cmd).action(async (photo: string, opts: PipelineCliOptions & { out: string; top: number }) => {
    const tagger = await Tagger.create(toTagOptions(opts));
    const rec = await tagger.tagFile(photo);
    if (rec.error) {
      process.stderr.write(`facetally draw: ${rec.error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const image = await decodeImageFile(photo, tagger.options);
    await writeFile(opts.out, await renderOverlay(image, rec.faces, { topAttributes: opts.top }));
    process.stderr.write(`facetally draw: ${rec.faces.length} face(s) → ${opts.out}\n`);
  });
}
