/**
 * Known errors of the shipped attribute model on the attribute values listed in
 * `../shared/data/photos/expected.json`, so that tests assert every other listed value strictly.
 *
 * - grace_hopper.jpg, Male: the model (celeba-attributes, val 91.0%) says Male with p = 0.997 for this
 *   portrait of an elderly woman in a naval uniform and cap (an outfit that is male in nearly all of CelebA).
 *   Tracked as open work on the model (issue 3); not a pipeline fault (the crop is correctly aligned).
 *
 * The list must stay honest: {@link splitKnownErrors} reports a listed error that the model now gets right,
 * and the tests fail on it, so a fixed error is removed from here.
 */
export const KNOWN_ATTRIBUTE_ERRORS: Readonly<Record<string, readonly string[]>> = {
  'grace_hopper.jpg': ['Male'],
};

/**
 * Split the expected attribute values of one photo into those that must agree and those known to be wrong.
 * @returns `strict` (expected values to assert), `known` (expected values the model is known to get wrong).
 */
export function splitKnownErrors(photo: string, expected: Record<string, boolean>): { strict: Record<string, boolean>; known: Record<string, boolean> } {
  const knownNames = KNOWN_ATTRIBUTE_ERRORS[photo] ?? [];
  const strict: Record<string, boolean> = {};
  const known: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(expected)) (knownNames.includes(k) ? known : strict)[k] = v;
  return { strict, known };
}
