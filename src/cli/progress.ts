import cliProgress from 'cli-progress';
import { plural } from './options.js';

/** A progress reporter on stderr: a cli-progress bar on a terminal, a plain line at a fixed interval otherwise. */
export interface Progress {
  tick(update: { faces?: number; error?: boolean }): void;
  stop(): void;
}

/** Default seconds between progress lines when stderr is not a terminal. */
export const DEFAULT_PROGRESS_SECONDS = 30;

/**
 * Seconds between progress lines when stderr is not a terminal: `FACETALLY_PROGRESS_SECONDS` when set to a number
 * >= 0 (0 = a line per photo), else {@link DEFAULT_PROGRESS_SECONDS}.
 */
export function progressInterval(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.FACETALLY_PROGRESS_SECONDS);
  return env.FACETALLY_PROGRESS_SECONDS !== undefined && env.FACETALLY_PROGRESS_SECONDS.trim() !== '' && v >= 0 ? v : DEFAULT_PROGRESS_SECONDS;
}

/**
 * Create a progress reporter. `total` may be unknown (streamed listing): then the bar shows counts and rate only.
 * On a terminal: a cli-progress bar. Otherwise (a log file, nohup, CI): one line every {@link progressInterval}
 * seconds, e.g. `facetally tag: 1200/5000 photos, 2301 faces, 3 errors, 19.7 photos/s, 193 s elapsed`, so a long
 * run is never silent for minutes. Silent with `quiet`.
 */
export function createProgress(label: string, total: number | undefined, quiet = false): Progress {
  if (quiet) return { tick() {}, stop() {} };
  const start = Date.now();
  let faces = 0, errors = 0, value = 0;
  const rate = () => (value / Math.max(1e-3, (Date.now() - start) / 1000)).toFixed(1);
  if (!process.stderr.isTTY) {
    const intervalMs = progressInterval() * 1000;
    let last = Date.now();
    const line = () => {
      last = Date.now();
      process.stderr.write(
        `facetally ${label}: ${total ? `${value}/${total} photos` : plural(value, 'photo')}, ${plural(faces, 'face')}, ${plural(errors, 'error')}, ${rate()} photos/s, ${((last - start) / 1000).toFixed(0)} s elapsed\n`,
      );
    };
    // A timer too, so that a slow photo or a long model load does not leave the log silent (unref: never keeps the process alive).
    const timer = intervalMs > 0 ? setInterval(line, Math.max(intervalMs, 1000)) : null;
    timer?.unref();
    return {
      tick(u) {
        value++;
        faces += u.faces ?? 0;
        if (u.error) errors++;
        if (Date.now() - last >= intervalMs) line();
      },
      stop() {
        if (timer) clearInterval(timer);
      },
    };
  }
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
  bar.start(total ?? 0, 0, { faces, errors, rate: '0.0' });
  return {
    tick(u) {
      value++;
      faces += u.faces ?? 0;
      if (u.error) errors++;
      bar.update(value, { faces, errors, rate: rate() });
    },
    stop() {
      bar.stop();
    },
  };
}
