/**
 * Photo records and their groups, the way `facetally compare` and `facetally sample` both take them: from group
 * folders, a manifest, or `tag` results (with a manifest or folders). Shared so that a sample drawn for labelling
 * has exactly the groups and record paths the comparison will see.
 */

import { existsSync, statSync } from 'node:fs';
import { folderGroups, folderOf, ManifestIndex, readManifest, readResults, UsageError, type Assignment, type Manifest } from '../analysis/inputs.js';
import type { PhotoResult } from '../types.js';
import { refuseOutputFolderInInputs } from '../pipeline/output.js';

/** Runs the models on photo paths; `tagFiles` from the pipeline, injectable for tests. */
export type Tagger = (inputs: string[]) => AsyncIterable<PhotoResult>;

/** Where the groups come from. */
export interface RecordSources {
  /** Folders, one group each (named after the folder). */
  folders: string[];
  manifest?: string;
  results?: string;
  /** Runs the models when photos must be tagged (no `results`). */
  tagger?: Tagger;
  log?: (message: string) => void;
}

/** Photo records with their groups. */
export interface GroupedRecords {
  /** Group names in order (folder order, or first appearance in the manifest). */
  groups: string[];
  assigned: { photo: PhotoResult; assignment: Assignment }[];
  /** Manifest paths without a record. */
  missing: string[];
  /** 'folders' | 'manifest' | 'results+folders' | 'results+manifest'. */
  mode: string;
  manifest: Manifest | null;
  /** True when the models ran (no `results`). */
  tagged: boolean;
}

/**
 * Refuse an `--out` folder that is a group folder or lies inside one, or that is the folder holding a manifest's
 * photo (see {@link refuseOutputFolderInInputs}), before any photo is tagged. Reads the manifest (cheap) to find
 * its photos; a manifest that cannot be read is left to {@link collectGroupRecords} to report.
 * @throws UsageError naming the output folder and the input it collides with
 */
export function refuseOutputInGroups(out: string, o: { folders: readonly string[]; manifest?: string }): void {
  let inputs: readonly string[] = o.folders;
  if (o.manifest) {
    try {
      inputs = new ManifestIndex(readManifest(o.manifest)).photoPaths();
    } catch {
      return;
    }
  }
  try {
    refuseOutputFolderInInputs(out, inputs);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Gather photo records and assign each photo to its group.
 * @throws UsageError for every input mistake: fewer than two groups, folders that overlap or are missing,
 *   a manifest that matches no record, no record inside the folders
 */
export async function collectGroupRecords(o: RecordSources): Promise<GroupedRecords> {
  const log = o.log ?? (() => {});
  if (o.manifest && o.folders.length) throw new UsageError('give either folders or --manifest, not both');
  if (!o.manifest && o.folders.length < 2) throw new UsageError('expected at least two folders (one per group), or --manifest FILE.csv');
  let groups: string[];
  const assigned: GroupedRecords['assigned'] = [];
  const missing: string[] = [];
  let mode: string;
  let manifest: Manifest | null = null;
  if (o.manifest) {
    manifest = readManifest(o.manifest);
    groups = [...new Set(manifest.entries.map((e) => e.group))];
    if (groups.length < 2) throw new UsageError(`${o.manifest}: expected at least two groups but found ${groups.length} (${groups.join(', ')})`);
    const index = new ManifestIndex(manifest);
    const found = new Set<string>();
    const photos = o.results ? readResults(o.results) : await tagAll(needTagger(o), index.photoPaths(), log);
    mode = o.results ? 'results+manifest' : 'manifest';
    let unlisted = 0;
    for (const photo of photos) {
      const e = index.find(photo.path);
      if (!e) {
        unlisted++;
        continue;
      }
      if (found.has(e.path)) continue; // the same photo twice in the results: count once
      found.add(e.path);
      assigned.push({ photo, assignment: { group: e.group, columns: e.columns } });
    }
    for (const e of manifest.entries) if (!found.has(e.path)) missing.push(e.path);
    if (assigned.length === 0) {
      throw new UsageError(`none of the ${manifest.entries.length} manifest paths matched a photo in ${o.results ?? 'the tagged photos'} (paths are matched after resolving against the manifest's folder or the working directory)`);
    }
    if (unlisted) log(`note: ${unlisted} photo record(s) not in the manifest were ignored`);
    if (missing.length) log(`warning: ${missing.length} manifest photo(s) have no record${o.results ? ` in ${o.results}` : ''}, e.g. ${missing.slice(0, 3).join(', ')}`);
  } else {
    const fg = folderGroups(o.folders);
    groups = fg.map((f) => f.group);
    if (o.results) {
      mode = 'results+folders';
      const folders = fg.map((f) => f.folder);
      for (const photo of readResults(o.results)) {
        const f = folderOf(photo.path, folders);
        if (f === undefined) continue;
        assigned.push({ photo, assignment: { group: fg[folders.indexOf(f)].group } });
      }
      if (assigned.length === 0) throw new UsageError(`no photo in ${o.results} lies inside the folders given`);
    } else {
      mode = 'folders';
      const tagger = needTagger(o);
      // The folders are tagged now: a mistyped one is a usage error, not an empty group.
      for (const f of o.folders) {
        if (!existsSync(f)) throw new UsageError(`${f}: folder not found`);
        if (!statSync(f).isDirectory()) throw new UsageError(`${f}: not a folder (give one folder per group, or --manifest)`);
      }
      for (const f of fg) {
        const photos = await tagAll(tagger, [f.folder], log, f.group);
        // A group folder without a single photo is a mistake (wrong folder, wrong extension), not an empty group.
        if (photos.length === 0) throw new UsageError(`${f.folder}: no photos found in this folder (group "${f.group}"); facetally reads JPEG, PNG, WebP, TIFF, GIF, HEIF/AVIF`);
        for (const photo of photos) assigned.push({ photo, assignment: { group: f.group } });
      }
    }
  }
  return { groups, assigned, missing, mode, manifest, tagged: !o.results };
}

function needTagger(o: RecordSources): Tagger {
  if (!o.tagger) throw new UsageError('running the models needs the pipeline; pass --results tags.jsonl to reuse facetally tag output');
  return o.tagger;
}

async function tagAll(tagger: Tagger, inputs: string[], log: (m: string) => void, label?: string): Promise<PhotoResult[]> {
  const out: PhotoResult[] = [];
  for await (const r of tagger(inputs)) {
    out.push(r);
    if (out.length % 50 === 0) log(`${label ? `${label}: ` : ''}${out.length} photos tagged`);
  }
  return out;
}
