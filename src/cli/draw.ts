import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Command, Option } from 'commander';
import type { RgbImage } from '../image/decode.js';
import type { PhotoResult } from '../types.js';
import { refuseInputAsOutput } from '../pipeline/output.js';
import { addPipelineOptions, parseNonNegativeInt, plural, refuseExistingOutput, toTagOptions, type PipelineCliOptions } from './options.js';

export function registerDrawCommand(program: Command): void {
  const cmd = program
    .command('draw')
    .description('Draw boxes, keypoints and the top attributes of each face over a photo (PNG)')
    .argument('<photo>', 'one photo file')
    .requiredOption('-o, --out <file.png>', 'output PNG (must end in .png; an existing file is replaced only with --overwrite)')
    .option('--overwrite', 'replace an existing --out file')
    .option('--pose-axes', 'draw each face\'s head-pose axes from the nose tip (red x, green y, blue z = where the nose points)')
    .addOption(new Option('--top <n>', 'attributes to print per face (most probable positive decisions; 0: boxes and scores only)').argParser(parseNonNegativeInt).default(4))
    .addHelpText('after', `
Keypoint colours: eyes cyan, nose yellow, mouth pink, ear tragions green. Box lines and keypoint dots are
sized to each face (not to the photo), so small faces in large photos stay visible.
Exit codes: 0 drawn; 2 the photo could not be read; 1 bad usage or fatal error.`);
  addPipelineOptions(cmd).action(async (photo: string, opts: PipelineCliOptions & { out: string; top: number; overwrite?: boolean; poseAxes?: boolean }) => {
    if (extname(opts.out).toLowerCase() !== '.png') throw new Error(`--out ${opts.out}: the overlay is a PNG; give a file name ending in .png`);
    refuseInputAsOutput(opts.out, [photo]);
    refuseExistingOutput(opts.out, { replace: opts.overwrite, remedy: 'add --overwrite to replace it' });
    const [{ Tagger }, { decodeImageFile }, { renderOverlay }] = await Promise.all([import('../pipeline/tag.js'), import('../image/decode.js'), import('../draw/overlay.js')]);
    const tagger = await Tagger.create(toTagOptions(opts));
    let rec: PhotoResult, image: RgbImage;
    try {
      rec = await tagger.tagFile(photo);
      if (rec.error) {
        process.stderr.write(`facetally draw: ${rec.error.message}\n`);
        process.exitCode = 2;
        return;
      }
      image = await decodeImageFile(photo, tagger.options);
    } finally {
      await tagger.close();
    }
    await writeFile(opts.out, await renderOverlay(image, rec.faces, { topAttributes: opts.top, poseAxes: opts.poseAxes }));
    process.stderr.write(`facetally draw: ${plural(rec.faces.length, 'face')} → ${opts.out}\n`);
  });
}
