import { InvalidArgumentError } from 'commander';

/** commander parser for a number in [0, 1]. */
export function parseUnit(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1] but received "${v}"`);
  return n;
}

/** commander parser for a positive number. */
export function parsePositive(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a positive number but received "${v}"`);
  return n;
}

/** commander parser for a positive integer. */
export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer but received "${v}"`);
  return n;
}

/** Options shared by every command that runs the detector. */
export interface PipelineCliOptions {
  scoreThreshold: number;
  minFace: number;
  maxPixels: number;
  model?: string;
  threads?: number;
}

/** Map CLI option names to the library's TagOptions. */
export function toTagOptions(o: PipelineCliOptions) {
  return { scoreThreshold: o.scoreThreshold, minFaceSize: o.minFace, maxPixels: o.maxPixels * 1e6, modelDir: o.model, threads: o.threads };
}
