import { describe, expect, it } from 'vitest';
import { formatLabelSheet, getLabel, labelProgress, LabelSheetError, mergeLabels, nextUnlabelled, parseLabelSheet, setLabel } from '../../src/web/label-sheet.js';

/** A sheet as `facetally sample --attributes Eyeglasses,Smiling,Young` writes it, with awkward paths. */
const SHEET = [
  'path,face,group,crop,context,Eyeglasses,Smiling,Young',
  'a/one.jpg,0,1990s,crops/000001.png,context/000001.jpg,,,',
  '"a/two, with comma.jpg",1,1990s,crops/000002.png,context/000002.jpg,,,',
  '"b/say ""cheese"".png",0,2020s,crops/000003.png,context/000003.jpg,,,',
  '',
].join('\n');

describe('labelling sheet (to-label.csv)', () => {
  it('reads the columns and rows, quoted fields included', () => {
    const s = parseLabelSheet(SHEET);
    expect(s.attributes).toEqual(['Eyeglasses', 'Smiling', 'Young']);
    expect(s.attributeCol).toEqual([5, 6, 7]);
    expect(s.col).toEqual({ path: 0, face: 1, group: 2, crop: 3, context: 4 });
    expect(s.rows.map((r) => r[0])).toEqual(['a/one.jpg', 'a/two, with comma.jpg', 'b/say "cheese".png']);
    expect(s.otherColumns).toEqual([]);
  });

  it('writes back byte for byte when nothing was labelled (LF, and CRLF with a byte-order mark)', () => {
    expect(formatLabelSheet(parseLabelSheet(SHEET))).toBe(SHEET);
    const crlf = '\uFEFF' + SHEET.replace(/\n/g, '\r\n');
    expect(formatLabelSheet(parseLabelSheet(crlf))).toBe(crlf);
    const noFinal = SHEET.slice(0, -1);
    expect(formatLabelSheet(parseLabelSheet(noFinal))).toBe(noFinal);
  });

  it('sets and clears labels; only those cells change in the written file', () => {
    const s = parseLabelSheet(SHEET);
    setLabel(s, 0, 'Eyeglasses', 1);
    setLabel(s, 0, 'Young', 0);
    setLabel(s, 2, 'Smiling', 1);
    setLabel(s, 2, 'Smiling', null);
    setLabel(s, 1, 'Smiling', 0);
    expect(getLabel(s, 0, 'Eyeglasses')).toBe(1);
    expect(getLabel(s, 0, 'Smiling')).toBeNull();
    expect(getLabel(s, 0, 'Young')).toBe(0);
    expect(formatLabelSheet(s)).toBe(
      [
        'path,face,group,crop,context,Eyeglasses,Smiling,Young',
        'a/one.jpg,0,1990s,crops/000001.png,context/000001.jpg,1,,0',
        '"a/two, with comma.jpg",1,1990s,crops/000002.png,context/000002.jpg,,0,',
        '"b/say ""cheese"".png",0,2020s,crops/000003.png,context/000003.jpg,,,',
        '',
      ].join('\n'),
    );
    expect(() => setLabel(s, 0, 'Bald', 1)).toThrow(/no column Bald/);
  });

  it('counts progress: faces done / started, cells, yes and no', () => {
    const s = parseLabelSheet(SHEET);
    expect(labelProgress(s)).toEqual({ faces: 3, facesDone: 0, facesStarted: 0, cells: 9, cellsLabelled: 0, yes: 0, no: 0 });
    for (const a of s.attributes) setLabel(s, 1, a, a === 'Young' ? 1 : 0); // face 2 complete: 1 yes, 2 no
    setLabel(s, 2, 'Eyeglasses', 1); // face 3 started
    expect(labelProgress(s)).toEqual({ faces: 3, facesDone: 1, facesStarted: 1, cells: 9, cellsLabelled: 4, yes: 2, no: 2 });
    expect(nextUnlabelled(s, 1)).toBe(2);
    expect(nextUnlabelled(s, 0)).toBe(0);
    for (const r of [0, 2]) for (const a of s.attributes) setLabel(s, r, a, 0);
    expect(nextUnlabelled(s, 0)).toBe(-1);
  });

  it('keeps columns it does not know and never labels them', () => {
    const s = parseLabelSheet('path,face,group,crop,context,person,Smiling\nx.jpg,0,g,c/1.png,k/1.jpg,p7,1\n');
    expect(s.otherColumns).toEqual(['person']);
    expect(s.attributes).toEqual(['Smiling']);
    expect(labelProgress(s).yes).toBe(1);
    expect(formatLabelSheet(s)).toBe('path,face,group,crop,context,person,Smiling\nx.jpg,0,g,c/1.png,k/1.jpg,p7,1\n');
  });

  it('refuses what is not a labelling sheet, naming the line', () => {
    const bad = (text: string) => {
      try {
        parseLabelSheet(text);
      } catch (e) {
        expect(e).toBeInstanceOf(LabelSheetError);
        return (e as Error).message;
      }
      throw new Error('parsed');
    };
    expect(bad('')).toMatch(/empty/);
    expect(bad('path,face,group,Smiling\nx,0,g,1\n')).toBe('line 1: the header has no crop column; is this the to-label.csv written by facetally sample?');
    expect(bad('path,face,group,crop,context,Smiling,Smiling\n')).toMatch(/^line 1: the column "Smiling" appears twice/);
    expect(bad('path,face,group,crop,context,smiling\n')).toMatch(/no CelebA attribute column/);
    expect(bad('path,face,group,crop,context,Smiling\n')).toMatch(/no faces/);
    expect(bad('path,face,group,crop,context,Smiling\nx,0,g,c,k,1\ny,0,g,c,k,yes\n')).toBe('line 3: Smiling is "yes"; a label is 1 (yes), 0 (no) or blank (not labelled)');
    expect(bad('path,face,group,crop,context,Smiling\nx,0,g,c,k\n')).toBe('line 2: 5 fields, but the header has 6');
    expect(bad('path,face,group,crop,context,Smiling\nx,0,g,c,k,\nx,0,g,c2,k2,\n')).toBe('line 3: face 0 of x appears twice (also on line 2)');
  });

  it('merges an earlier export: labels by (path, face) and column name; blanks never erase', () => {
    const s = parseLabelSheet(SHEET);
    setLabel(s, 0, 'Smiling', 1); // labelled here, blank in the import: kept
    setLabel(s, 2, 'Young', 1); // labelled 1 here, 0 in the import: the import wins
    const imported = parseLabelSheet(
      [
        'path,face,group,crop,context,Eyeglasses,Young,Bald',
        'a/one.jpg,0,1990s,crops/000001.png,context/000001.jpg,1,,1',
        '"b/say ""cheese"".png",0,2020s,crops/000003.png,context/000003.jpg,,0,',
        'c/elsewhere.jpg,0,2020s,crops/000009.png,context/000009.jpg,0,,',
        'c/unlabelled.jpg,0,2020s,crops/000010.png,context/000010.jpg,,,',
      ].join('\n'),
    );
    expect(mergeLabels(s, imported)).toEqual({ cells: 2, changed: 1, faces: 2, unmatchedRows: 1, unmatchedAttributes: ['Bald'] });
    expect([getLabel(s, 0, 'Eyeglasses'), getLabel(s, 0, 'Smiling'), getLabel(s, 0, 'Young')]).toEqual([1, 1, null]);
    expect(getLabel(s, 2, 'Young')).toBe(0);
    expect(labelProgress(s).cellsLabelled).toBe(3);
  });
});
