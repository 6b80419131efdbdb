import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** File extensions picked up when recursing folders (case-insensitive). Files named explicitly are always taken. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.heic', '.heif', '.avif', '.svg']);

/**
 * A listed input: a photo path, or a problem met while listing (a symlink loop, a broken link, a folder named
 * like a photo, an unlistable folder). `root` is the input argument the path was found under (the folder, or
 * the file itself).
 */
export type ListedInput = { path: string; root: string; problem?: { code: string; message: string } };

/**
 * List the photos named by `inputs`, in a stable order: files as given; folders recursively, entries sorted
 * by name, keeping files whose extension is in {@link IMAGE_EXTENSIONS}. Streams (an async generator), so a
 * folder of a million photos is never held in memory beyond one directory's listing.
 * Symbolic links to folders are followed once; a link back to a folder already being listed is reported as a
 * `symlink_loop` problem instead of recursing forever; a broken link found in a folder is a `not_found` problem;
 * a folder whose name has an image extension is reported as `not_a_file` (and still searched).
 * Inputs named explicitly are listed even when missing or unreadable, without a problem: the decoder then reports
 * them with its stable code (`not_found`, `permission_denied`, …).
 * An input that names the same file or folder as an earlier one (however spelled), or that lies inside another
 * folder input, is skipped, so no photo is listed twice because of how the inputs were written.
 */
export async function* listPhotos(inputs: readonly string[]): AsyncGenerator<ListedInput> {
  const stats = await Promise.all(inputs.map((i) => stat(i).catch((err: NodeJS.ErrnoException) => err)));
  const real = await Promise.all(inputs.map((i) => realpath(i).catch(() => resolve(i))));
  const isFolder = (j: number) => !(stats[j] instanceof Error) && stats[j].isDirectory();
  const covered = (k: number) => real.some((r, j) => (j < k && r === real[k]) || (isFolder(j) && real[k].startsWith(r + sep)));
  for (const [k, input] of inputs.entries()) {
    if (covered(k)) continue;
    const st = stats[k];
    if (st instanceof Error) {
      if (st.code === 'ELOOP') yield { path: input, root: input, problem: { code: 'symlink_loop', message: `${input}: symbolic link loop` } };
      else yield { path: input, root: input }; // let the decoder report not_found / permission_denied with its stable code
      continue;
    }
    if (st.isDirectory()) yield* walk(input, input, new Set([real[k]]));
    else yield { path: input, root: input };
  }
}

async function* walk(root: string, dir: string, ancestors: Set<string>): AsyncGenerator<ListedInput> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    yield { path: dir, root, problem: { code: 'permission_denied', message: `${dir}: cannot list folder (${(err as Error).message})` } };
    return;
  }
  for (const name of entries) {
    const p = join(dir, name);
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const isLink = await lstat(p).then((l) => l.isSymbolicLink(), () => false);
      if (code === 'ELOOP') yield { path: p, root, problem: { code: 'symlink_loop', message: `${p}: symbolic link loop` } };
      else if (isLink) yield { path: p, root, problem: { code: 'not_found', message: `${p}: broken symbolic link` } };
      else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) yield { path: p, root };
      continue;
    }
    if (st.isDirectory()) {
      const real = await realpath(p);
      // A link to a folder being listed, or to a folder that contains one (e.g. `..`), would list it again.
      if (ancestors.has(real) || [...ancestors].some((a) => a.startsWith(real + sep))) {
        yield { path: p, root, problem: { code: 'symlink_loop', message: `${p}: symbolic link loop (points back to ${real})` } };
        continue;
      }
      if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase()) && !(await lstat(p)).isSymbolicLink()) {
        // A folder named like a photo: report it rather than silently recursing as if it were a photo.
        yield { path: p, root, problem: { code: 'not_a_file', message: `${p}: is a directory named like a photo` } };
      }
      ancestors.add(real);
      yield* walk(root, p, ancestors);
      ancestors.delete(real);
    } else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) {
      yield { path: p, root };
    }
  }
}
