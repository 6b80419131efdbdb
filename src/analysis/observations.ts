/**
 * From photo records to face observations for the comparison: group assignment, the second factor and the
 * input summary. Pure (no file system), so the CLI (`inputs.ts`) and the web app share it.
 */

import type { PhotoResult } from '../types.js';
import type { FaceObservation } from './compare.js';

/** A problem with the user's input (exit code 1 in the CLI). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How each photo's faces are assigned to a group and a level of the second factor. */
export interface Assignment {
  group: string;
  /** Manifest columns of the photo, for `--by`. */
  columns?: Record<string, string>;
}

/** How to derive the second factor. */
export type SecondFactor = { kind: 'none' } | { kind: 'column'; column: string } | { kind: 'attribute'; attribute: string };

/** Counts of what went into the comparison. */
export interface InputSummary {
  /** Photos per group (including unreadable ones and photos without faces). */
  photos: Record<string, number>;
  /** Photos per group that could not be read. */
  unreadable: Record<string, number>;
  /** Faces per group kept (score >= minScore). */
  faces: Record<string, number>;
  /** Faces dropped for a detector score below minScore. */
  lowScoreFaces: number;
  /** Unreadable photos: path and error message. */
  errors: { path: string; code: string; message: string }[];
}

/**
 * Flatten photo records into face observations.
 *
 * @param photos records with their assignment (photos without an assignment must be filtered out before)
 * @param factor the second factor: a manifest column (`--by`), a predicted attribute
 *   (`--split-by-attribute`; level "<name>" or "not <name>"), or none
 * @param minScore faces with a detector score below this are left out
 * @param labelsOf hand labels of face `face` (index in the record) of a photo, if any (two-phase estimation)
 * @param clusterColumn manifest column whose value is each face's cluster (`--cluster`)
 * @throws UsageError when the attribute of `--split-by-attribute` is missing from a face's decisions, or a photo has
 *   no value in `clusterColumn`
 */
export function toObservations(
  photos: readonly { photo: PhotoResult; assignment: Assignment }[],
  factor: SecondFactor,
  minScore: number,
  groups: readonly string[],
  labelsOf?: (photo: PhotoResult, face: number) => Record<string, boolean> | undefined,
  clusterColumn?: string,
): { faces: FaceObservation[]; summary: InputSummary } {
  const zero = () => Object.fromEntries(groups.map((g) => [g, 0])) as Record<string, number>;
  const summary: InputSummary = { photos: zero(), unreadable: zero(), faces: zero(), lowScoreFaces: 0, errors: [] };
  const faces: FaceObservation[] = [];
  for (const { photo, assignment } of photos) {
    const g = assignment.group;
    summary.photos[g] = (summary.photos[g] ?? 0) + 1;
    if (photo.error) {
      summary.unreadable[g] = (summary.unreadable[g] ?? 0) + 1;
      summary.errors.push({ path: photo.path, code: photo.error.code, message: photo.error.message });
      continue;
    }
    for (const [k, face] of photo.faces.entries()) {
      if (typeof face.score === 'number' && face.score < minScore) {
        summary.lowScoreFaces++;
        continue;
      }
      let level: string | null = null;
      if (factor.kind === 'column') {
        level = assignment.columns?.[factor.column] || null;
      } else if (factor.kind === 'attribute') {
        const d = face.decisions[factor.attribute];
        if (d === undefined) throw new UsageError(`${photo.path}: a face has no decision for ${factor.attribute}`);
        level = d ? factor.attribute : `not ${factor.attribute}`;
      }
      summary.faces[g] = (summary.faces[g] ?? 0) + 1;
      const labels = labelsOf?.(photo, k);
      const obs: FaceObservation = { group: g, level, decisions: face.decisions };
      if (labels) obs.labels = labels;
      if (clusterColumn) {
        const c = assignment.columns?.[clusterColumn];
        if (!c) throw new UsageError(`${photo.path}: no ${clusterColumn} in the manifest (--cluster ${clusterColumn} needs one for every photo)`);
        obs.cluster = c;
      }
      faces.push(obs);
    }
  }
  return { faces, summary };
}
