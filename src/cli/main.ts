#!/usr/bin/env node
import { Command } from 'commander';
import { registerCompareCommand } from './compare.js';
import { registerCropCommand } from './crop.js';
import { registerDrawCommand } from './draw.js';
import { registerEvalCommand } from './eval.js';
import { registerSampleCommand } from './sample.js';
import { registerServeCommand } from './serve.js';
import { registerTagCommand } from './tag.js';
import { registerWorkerCommand } from './worker.js';

/** Build the `facetally` program with all its commands. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('facetally')
    .description('Find faces in photos, align them, and predict the 40 CelebA attributes. Everything runs locally.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 success; 1 bad usage or a fatal error (e.g. a model cannot load); 2 some photos could not be read
(their records carry an error; the rest were processed).

Examples:
  facetally tag examples/                         one JSON line per photo on stdout
  facetally tag photos/ --format csv --out faces.csv
  facetally draw examples/astronaut.png --out astronaut-faces.png
  facetally crop photos/ --out crops/`,
    );
  registerTagCommand(program);
  registerCropCommand(program);
  registerDrawCommand(program);
  registerEvalCommand(program);
  registerCompareCommand(program);
  registerSampleCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  // Extra positional arguments are a usage error (exit 1), not silently ignored.
  for (const c of program.commands) c.allowExcessArguments(false).showHelpAfterError('(run with --help for usage)');
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`facetally: ${describeFatal(err)}\n`);
    process.exitCode = 1;
  }
}

/** A plain-language message for fatal errors, notably output paths that cannot be written. */
export function describeFatal(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.path && e.syscall === 'open') {
    if (e.code === 'ENOENT') return `cannot write ${e.path}: its folder does not exist`;
    if (e.code === 'EISDIR') return `cannot write ${e.path}: it is a folder, give a file name`;
    if (e.code === 'EACCES' || e.code === 'EPERM') return `cannot write ${e.path}: permission denied`;
  }
  return e?.message ?? String(err);
}
