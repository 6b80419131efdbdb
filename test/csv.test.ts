import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/analysis/inputs.js';
import { toObservations, UsageError } from '../src/analysis/observations.js';
import { csvField, csvRow } from '../src/csv.js';
import { tagCsvHeader, tagCsvRows } from '../src/pipeline/csv.js';
import type { PhotoResult } from '../src/types.js';

describe('csvField: the one CSV writer', () => {
  it('writes missing and non-finite values as empty fields, never "NaN"', () => {
    // Before, the tag CSV's copy wrote "NaN" and "Infinity" where compare.csv's copy wrote nothing.
    for (const v of [null, undefined, NaN, Infinity, -Infinity]) expect(csvField(v)).toBe('');
  });
  it('writes numbers in round-trip form, optionally to n significant digits, and never guards a negative number', () => {
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField(42)).toBe('42');
    expect(csvField(1 / 3)).toBe('0.3333333333333333');
    expect(csvField(1 / 3, { significantDigits: 8 })).toBe('0.33333333');
    expect(csvField(1234567891, { significantDigits: 8 })).toBe('1234567891'); // integers are exact
    expect(csvField(true)).toBe('true');
  });
  it('quotes per RFC 4180 and guards text that a spreadsheet would run as a formula', () => {
    expect(csvField('plain name')).toBe('plain name');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"\nthere')).toBe('"say ""hi""\nthere"');
    expect(csvField('=HYPERLINK("http://example.com","x")')).toBe('"\'=HYPERLINK(""http://example.com"",""x"")"');
    expect(csvField('+1')).toBe(`"'+1"`);
    expect(csvField('-x.jpg')).toBe(`"'-x.jpg"`);
    expect(csvField('@SUM(A1:A9)')).toBe(`"'@SUM(A1:A9)"`);
    expect(csvField('\tcmd')).toBe(`"'\tcmd"`);
    expect(csvField('a=b')).toBe('a=b'); // only the first character counts
    // What a reader gets back: the text with its apostrophe, in one field.
    expect(parseCsv(csvRow(['=1+1', 'x,y', -2]) + '\n').map((r) => r.fields)).toEqual([["'=1+1", 'x,y', '-2']]);
  });
});

describe('tag --format csv rows', () => {
  it('write a non-finite probability as empty and a formula-like path guarded, in the header order', () => {
    const names = ['Male', 'Smiling'];
    const rec: PhotoResult = {
      path: '=cmd.jpg', width: 10, height: 10, error: null, sha256: 'ab', duplicate_of: null,
      faces: [{ box: { x: -1.5, y: 2, width: 3, height: 4 }, score: 0.9, landmarks: Array.from({ length: 6 }, () => [1, -2]), attributes: { Male: NaN, Smiling: 0.12345 }, decisions: { Male: false, Smiling: true } }],
    };
    const header = tagCsvHeader(names).split(',');
    const [row] = parseCsv(tagCsvRows(rec, names)[0] + '\n').map((r) => r.fields);
    const cell = Object.fromEntries(header.map((h, i) => [h, row[i]]));
    expect(row).toHaveLength(header.length);
    expect(cell).toMatchObject({ path: "'=cmd.jpg", box_x: '-1.5', right_eye_y: '-2', Male: '', Smiling: '0.1235', Male_decision: '0', Smiling_decision: '1', error_code: '' });
  });
});

describe('compare panels', () => {
  it('refuse a --by level named "all", the all-faces panel of compare.csv', () => {
    const face = { box: { x: 0, y: 0, width: 1, height: 1 }, score: 0.9, landmarks: [], attributes: {}, decisions: { Male: true } };
    const photo = (path: string): PhotoResult => ({ path, width: 1, height: 1, faces: [face], error: null });
    const input = [
      { photo: photo('a.jpg'), assignment: { group: 'A', columns: { decade: '1990s' } } },
      { photo: photo('b.jpg'), assignment: { group: 'B', columns: { decade: 'all' } } },
    ];
    expect(() => toObservations(input, { kind: 'column', column: 'decade' }, 0, ['A', 'B'])).toThrow(UsageError);
    expect(() => toObservations(input, { kind: 'column', column: 'decade' }, 0, ['A', 'B'])).toThrow(/b\.jpg: the decade column has a level named "all"/);
    input[1].assignment.columns.decade = 'All years';
    expect(toObservations(input, { kind: 'column', column: 'decade' }, 0, ['A', 'B']).faces.map((f) => f.level)).toEqual(['1990s', 'All years']);
  });
});
