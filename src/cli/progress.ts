import cliProgress from 'cli-progress';

/** A progress reporter on stderr: a cli-progress bar when stderr is a terminal, silent otherwise. */
export interface Progress {
  tick(update: { faces?: number; error?: boolean }): void;
  stop(): void;
}

/**
 * Create a progress reporter. `total` may be unknown (streamed listing): then the bar shows counts and rate only.
 * Quiet when `quiet` is set or stderr is not a TTY (logs and pipes stay clean).
 */
export function createProgress(label: string, total: number | undefined, quiet = false): Progress {
  if (quiet || !process.stderr.isTTY) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: total
        ? `${label} [{bar}] {value}/{total} photos | {rate}/s | faces {faces} | errors {errors} | ETA {eta_formatted}`
        : `${label} {value} photos | {rate}/s | faces {faces} | errors {errors}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  let faces = 0, errors = 0, value = 0;
  bar.start(total ?? 0, 0, { faces, errors, rate: '0.0' });
  return {
    tick(u) {
      value++;
      faces += u.faces ?? 0;
      if (u.error) errors++;
      const rate = (value / Math.max(1e-3, (Date.now() - start) / 1000)).toFixed(1);
      bar.update(value, { faces, errors, rate });
    },
    stop() {
      bar.stop();
    },
  };
}
