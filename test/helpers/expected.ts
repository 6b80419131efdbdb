/**
 * Known errors of the shipped attribute model on the attribute values listed in
 * `../shared/data/photos/expected.json`, so that tests assert every other listed value strictly.
 *
 * - grace_hopper.jpg, Male: the model (celeba-attributes v3, val 91.2%) says Male with p = 0.998 for this
 *   portrait of an elderly woman in a naval uniform and cap (an outfit that is male in nearly all of CelebA;
 *   v1 said 0.94, v2 0.997). Not a pipeline fault (the crop is correctly aligned).
 * The list must stay honest: {@link splitKnownErrors} reports a listed error that the model now gets right,
 * and the tests fail on it, so a fixed error is removed from here.
 */
export const KNOWN_ATTRIBUTE_ERRORS: Readonly<Record<string, readonly string[]>> = {
  'grace_hopper.jpg': ['Male'],
};

/**
 * Listed values that the shipped model decides by a hair, so that Node (sharp resizes the crop for the model) and
 * the browser (canvas resizes it) may decide them differently: for these the tests assert that the probability is
 * within {@link BORDERLINE_MARGIN} of the threshold (and report the decision), and fail when it no longer is, so
 * the entry is moved to the strict or the known-error list.
 *
 * - astronaut.png, Male: v3 gives p = 0.488 in Node against its validation-chosen threshold 0.480 (Node says Male,
 *   the browser not; v2 had her right). v3 replaced v2 because it is better on the validation split (91.17% vs
 *   91.01% accuracy, 79.83% vs 78.77% balanced), the only split used for choices; these 15 sample values are not
 *   a selection criterion.
 */
export const BORDERLINE_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  'astronaut.png': ['Male'],
};

/** Largest |probability - threshold| of a {@link BORDERLINE_ATTRIBUTES} value in Node. */
export const BORDERLINE_MARGIN = 0.02;
/**
 * The same in the browser, whose canvas resize of the crop differs from sharp's: measured for astronaut.png Male,
 * p = 0.488 in Node and 0.44 in Chromium (threshold 0.480).
 */
export const BORDERLINE_MARGIN_BROWSER = 0.06;

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
