/**
 * Known errors of the shipped attribute model on the attribute values listed in
 * `../shared/data/photos/expected.json`, so that tests assert every other listed value strictly.
 *
 * - grace_hopper.jpg, Male: the model (celeba-attributes v4, val 91.35%) says Male with p = 0.999 for this
 *   portrait of an elderly woman in a naval uniform and cap (an outfit that is male in nearly all of CelebA;
 *   v1 said 0.94, v2 0.997, v3 0.998). Not a pipeline fault (the crop is correctly aligned).
 * - astronaut.png, Male: v4 says Male with p = 0.670 (0.660 with the detector before issue 13) against its
 *   validation-chosen threshold 0.641 (v4.0, whose dlib member was mirror-averaged: 0.673 against 0.485; v3: 0.423
 *   against 0.480, decided right). The ensemble's pretrained member pulls it up; chosen on validation only, never on
 *   these photos (models/celeba-attributes/sample-photos.md has every value of both models, measured with the
 *   detector before issue 13).
 * The list must stay honest: {@link splitKnownErrors} reports a listed error that the model now gets right,
 * and the tests fail on it, so a fixed error is removed from here.
 */
export const KNOWN_ATTRIBUTE_ERRORS: Readonly<Record<string, readonly string[]>> = {
  'grace_hopper.jpg': ['Male'],
  'astronaut.png': ['Male'],
};

/**
 * Listed values that the shipped model decides by a hair, within {@link BORDERLINE_MARGIN} of the threshold: for these
 * the tests assert the probability's distance to the threshold (and report the decision) instead of the decision, and
 * fail when it is no longer that close, so the entry is moved to the strict or the known-error list. Empty now:
 * astronaut.png Male was here (v3 gave p = 0.488 in Node against the validation-chosen threshold 0.480, 0.434 in the
 * browser, when sharp and the canvas resampled the detector's pyramid differently); since the pyramid is resampled
 * by the same JavaScript in both (issue 16, src/image/resample.ts, Pillow's bilinear kernel — not chosen on these
 * photos) it was p = 0.437 in both, and with the half-pixel alignment fix (issue 17; every crop moved, nothing
 * tuned) it is p = 0.423 in Node: decided right, 0.057 from the threshold, and asserted strictly.
 */
export const BORDERLINE_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {};

/** Largest |probability - threshold| of a {@link BORDERLINE_ATTRIBUTES} value in Node. */
export const BORDERLINE_MARGIN = 0.02;
/**
 * The same in the browser: Node's margin plus the 0.01 within which the browser and Node agree on every probability
 * (test/web/e2e.test.ts).
 */
export const BORDERLINE_MARGIN_BROWSER = BORDERLINE_MARGIN + 0.01;

/**
 * Split the expected attribute values of one photo into those that must agree and those known to be wrong.
 * @returns `strict` (expected values to assert), `known` (expected values the model is known to get wrong),
 *   `borderline` (expected values decided within {@link BORDERLINE_MARGIN} of the threshold).
 */
export function splitKnownErrors(
  photo: string,
  expected: Record<string, boolean>,
): { strict: Record<string, boolean>; known: Record<string, boolean>; borderline: Record<string, boolean> } {
  const knownNames = KNOWN_ATTRIBUTE_ERRORS[photo] ?? [];
  const borderNames = BORDERLINE_ATTRIBUTES[photo] ?? [];
  const strict: Record<string, boolean> = {};
  const known: Record<string, boolean> = {};
  const borderline: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(expected)) (knownNames.includes(k) ? known : borderNames.includes(k) ? borderline : strict)[k] = v;
  return { strict, known, borderline };
}

/**
 * Face counts the pipeline gets wrong on the sample photos, photo → the count it finds, where it differs from
 * `expected.json` (a miss on a "hard" photo included). Empty: the pipeline finds every listed face, the hard
 * cameraman.png profile included (score 0.934, measured after the alignment fix). Tests assert the count exactly,
 * so a new miss (or a fixed one) fails until this list says so.
 */
export const KNOWN_FACE_COUNT_ERRORS: Readonly<Record<string, number>> = {};

/** The face count a test must find for `photo`: its known wrong count if listed, else `expected.json`'s. */
export function expectedFaceCount(photo: string, expected: number): number {
  return KNOWN_FACE_COUNT_ERRORS[photo] ?? expected;
}

