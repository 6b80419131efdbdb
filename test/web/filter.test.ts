import { describe, expect, it } from 'vitest';
import { compileFilter, FilterSyntaxError } from '../../src/web/filter.js';
import { folderGroups } from '../../src/web/files.js';

describe('gallery filter expressions', () => {
  const face = { Eyeglasses: true, Wearing_Hat: false, Smiling: true, Male: false, '5_o_Clock_Shadow': false };
  const cases: [string, boolean][] = [
    ['', true],
    ['Eyeglasses', true],
    ['Eyeglasses and not Wearing_Hat', true],
    ['Eyeglasses and Wearing_Hat', false],
    ['eyeglasses AND NOT wearing_hat', true],
    ['Wearing_Hat or Smiling', true],
    ['not (Smiling or Male)', false],
    ['!Male && (Wearing_Hat || Smiling)', true],
    ['-Male & Eyeglasses', true],
    ['5_o_Clock_Shadow or Male', false],
    ['Smiling and Male or Eyeglasses', true], // and binds tighter than or
  ];
  for (const [expr, want] of cases) it(`"${expr}" → ${want}`, () => expect(compileFilter(expr)(face)).toBe(want));

  it('reports unknown names with a suggestion, and syntax errors with a position', () => {
    expect(() => compileFilter('Glasses')).toThrow(/unknown attribute "Glasses" \(did you mean Eyeglasses\?\)/);
    expect(() => compileFilter('Wearing_Hatt')).toThrow(/did you mean Wearing_Hat\?/);
    expect(() => compileFilter('Smiling and')).toThrow(FilterSyntaxError);
    expect(() => compileFilter('(Smiling')).toThrow(/expected "\)"/);
    expect(() => compileFilter('Smiling Male')).toThrow(/join conditions with "and" \/ "or"/);
    expect(() => compileFilter('Smiling = 1')).toThrow(/unexpected "=" at position 9/);
  });
});

describe('folder groups', () => {
  it('several dropped folders: one group per folder; loose files: none', () => {
    expect(folderGroups(['a/x.jpg', 'a/sub/y.jpg', 'b/z.jpg', 'loose.jpg'])).toEqual(['a', 'a', 'b', null]);
  });
  it('one folder holding one subfolder per group: the subfolders are the groups', () => {
    expect(folderGroups(['photos/1990s/a.jpg', 'photos/2020s/b.jpg', 'photos/2020s/deep/c.jpg'])).toEqual(['1990s', '2020s', '2020s']);
  });
  it('one folder with files directly inside: the folder is the group', () => {
    expect(folderGroups(['trip/a.jpg', 'trip/day2/b.jpg'])).toEqual(['trip', 'trip']);
    expect(folderGroups(['a.jpg', 'b.jpg'])).toEqual([null, null]);
  });
});
