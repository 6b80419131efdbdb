import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { csvField } from '../csv.js';
import { LANDMARK_NAMES, type FaceQuality, type PhotoResult } from '../types.js';
import { provenanceCsvCells, provenanceCsvHeader, type Provenance } from './provenance.js';

export { csvField, csvRow } from '../csv.js';

/**
 * The pose and quality columns of `tag --format csv`, after the keypoints (empty for records without them), and
 * `excluded`: the reasons a quality rule left the face out, joined by "; " (empty when kept or without a rule).
 */
export const POSE_QUALITY_COLUMNS = ['yaw', 'pitch', 'roll', 'eye_distance', 'sharpness', 'brightness', 'contrast', 'clipped', 'excluded'] as const;

/**
 * Header of `tag --format csv`: photo columns (path, content hash, first path with the same bytes, size), face
 * geometry (box, then the six keypoints named as in {@link LANDMARK_NAMES}: `right_eye_x`, `right_eye_y`, …), head
 * pose (`yaw`, `pitch`, `roll`, degrees) and quality (`eye_distance` in source pixels, `sharpness`, `brightness`,
 * `contrast`, `clipped`; see {@link FaceQuality}), `excluded` (the quality rule's reasons), error code and message,
 * each attribute's probability (`<name>`) and decision (`<name>_decision`, 1 or 0), then the provenance columns
 * (provenanceCsvHeader: `facetally_version`, `model`, hashes, one column per setting).
 */
export function tagCsvHeader(names: readonly string[] = CELEBA_ATTRIBUTES): string {
  const lm = LANDMARK_NAMES.flatMap((k) => [`${k}_x`, `${k}_y`]);
  return ['path', 'sha256', 'duplicate_of', 'width', 'height', 'face', 'score', 'box_x', 'box_y', 'box_width', 'box_height', ...lm, ...POSE_QUALITY_COLUMNS, 'error_code', 'error_message', ...names, ...names.map((n) => `${n}_decision`), ...provenanceCsvHeader()].join(',');
}

/**
 * CSV rows for one photo record: one row per face; a photo with no face (or an error) still gets one row with
 * empty face columns, so every photo appears in the file. `provenance` fills the last columns (empty without it).
 */
export function tagCsvRows(r: PhotoResult, names: readonly string[] = CELEBA_ATTRIBUTES, provenance?: Provenance): string[] {
  const base = [csvField(r.path), csvField(r.sha256), csvField(r.duplicate_of), csvField(r.width), csvField(r.height)];
  const prov = provenance ? provenanceCsvCells(provenance).map((v) => csvField(v)) : provenanceCsvHeader().map(() => '');
  if (r.faces.length === 0) {
    const empty = new Array(6 + 2 * LANDMARK_NAMES.length + POSE_QUALITY_COLUMNS.length).fill('');
    return [[...base, ...empty, csvField(r.error?.code), csvField(r.error?.message), ...new Array(names.length * 2).fill(''), ...prov].join(',')];
  }
  return r.faces.map((f, i) =>
    [
      ...base, i, csvField(f.score), csvField(f.box.x), csvField(f.box.y), csvField(f.box.width), csvField(f.box.height),
      ...f.landmarks.flat().map((v) => csvField(v)),
      ...(['yaw', 'pitch', 'roll'] as const).map((k) => csvField(f.pose?.[k])),
      ...(['eye_distance', 'sharpness', 'brightness', 'contrast', 'clipped'] as const).map((k) => csvField(f.quality?.[k])),
      csvField(f.excluded?.join('; ')),
      '', '',
      ...names.map((n) => (Number.isFinite(f.attributes[n]) ? f.attributes[n].toFixed(4) : '')),
      ...names.map((n) => (f.decisions[n] === undefined ? '' : f.decisions[n] ? 1 : 0)),
      ...prov,
    ].join(','),
  );
}
