/**
 * The one CSV writer of facetally (tag --format csv, compare.csv, eval --format csv, sample's to-label.csv):
 * RFC 4180 quoting, empty fields for missing or non-finite values, and protection against spreadsheet formulas.
 * Browser-safe (no Node imports).
 */

/**
 * A text cell that a spreadsheet would run as a formula: one starting with `=`, `+`, `-`, `@`, a tab or a carriage
 * return (OWASP, "CSV Injection"). Such a text is written with a leading apostrophe, which spreadsheets show as
 * text and do not evaluate (a group named `=HYPERLINK("http://…")` stays a name). Numbers are never prefixed.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field.
 * - `null`, `undefined`, NaN and ±Infinity: empty (not available; never the text "NaN").
 * - numbers: `String(v)` (shortest round-trip form); with `significantDigits`, non-integers are rounded to that
 *   many significant digits first (`+v.toPrecision(d)`).
 * - booleans: `true` / `false`.
 * - text: a leading `'` when it starts like a formula (see above), then quoted (`"…"`, inner `"` doubled) when it
 *   holds a comma, a quote or a line break, or when it was prefixed.
 */
export function csvField(v: string | number | boolean | null | undefined, options: { significantDigits?: number } = {}): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return '';
    const d = options.significantDigits;
    return String(d !== undefined && !Number.isInteger(v) ? +v.toPrecision(d) : v);
  }
  if (typeof v === 'boolean') return String(v);
  const guarded = FORMULA_START.test(v) ? `'${v}` : v;
  return guarded !== v || /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/** One CSV line (no line end) of {@link csvField}s. */
export function csvRow(values: readonly (string | number | boolean | null | undefined)[], options: { significantDigits?: number } = {}): string {
  return values.map((v) => csvField(v, options)).join(',');
}
