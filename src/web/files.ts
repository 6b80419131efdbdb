/**
 * Turning what the user picks or drops into (file, path) pairs, and folders into groups.
 * Pure path logic ({@link folderGroups}) is separate from the DOM traversal so it can be tested in Node.
 */

/** A photo as added to the page: the file and its path relative to what was dropped ("trip/IMG_1.jpg"). */
export interface DroppedFile {
  file: File;
  path: string;
}

/**
 * The group of each path, from its folders:
 * - a loose file (no folder) gets no group (null);
 * - when every path lies in the same top folder and inside a subfolder of it (one folder holding one subfolder
 *   per group was dropped), the group is the subfolder: "photos/1990s/a.jpg" → "1990s";
 * - otherwise the group is the top folder: "1990s/a.jpg" → "1990s" (several folders were dropped).
 * @example folderGroups(['a/x.jpg', 'b/y.jpg', 'z.jpg']) // ['a', 'b', null]
 */
export function folderGroups(paths: readonly string[]): (string | null)[] {
  const parts = paths.map((p) => p.split('/').filter((s) => s !== '' && s !== '.'));
  const foldered = parts.filter((s) => s.length >= 2);
  const tops = new Set(foldered.map((s) => s[0]));
  const useSub = foldered.length > 0 && tops.size === 1 && foldered.every((s) => s.length >= 3) && foldered.length === parts.length;
  return parts.map((s) => (s.length < 2 ? null : useSub ? s[1] : s[0]));
}

/**
 * Collect the files of a drop, descending into dropped folders (`webkitGetAsEntry`); paths are relative to
 * the dropped item ("folder/sub/file.jpg"; a loose file is just its name).
 */
export async function filesFromDataTransfer(dt: DataTransfer): Promise<DroppedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of [...dt.items]) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...dt.files);
  const out: DroppedFile[] = loose.map((file) => ({ file, path: file.name }));
  for (const e of entries) await walk(e, out);
  return out;
}

async function walk(entry: FileSystemEntry, out: DroppedFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\//, '') || entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
    out.push({ file, path });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call; read until empty.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  children.sort((a, b) => a.name.localeCompare(b.name));
  for (const c of children) await walk(c, out);
}
