/** An axis-aligned rectangle in pixels: top-left corner and size. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Area of the intersection of two rectangles (0 when they are disjoint or only touch), in square pixels. */
export function overlapArea(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Place one text label beside each face box so that labels cover neither another face nor another label, when
 * the photo leaves room for that.
 *
 * Each label tries, in order: below its box (left-aligned, then right-aligned), above it (the same two), right of
 * it and left of it (top-aligned, then bottom-aligned), every candidate shifted inside the image. The first
 * candidate that overlaps no other face box and no label placed so far wins; when none is free, the one with the
 * least overlapping area (other faces count double: a hidden face is worse than two crossed labels). Labels are
 * placed in the order of their boxes' top edges (then left edges), so the upper rows of a group photo choose first.
 * Greedy, not optimal; O(n² · 12) for n faces.
 *
 * @param boxes the face boxes, pixels.
 * @param sizes `sizes[i]` = width and height of label i, pixels (same length as `boxes`).
 * @param width image width, pixels; @param height image height, pixels.
 * @returns the label rectangles, in the order of `boxes`.
 * @throws RangeError when `sizes` and `boxes` differ in length.
 */
export function placeLabels(boxes: readonly Rect[], sizes: readonly { width: number; height: number }[], width: number, height: number): Rect[] {
  if (sizes.length !== boxes.length) throw new RangeError(`expected ${boxes.length} label sizes but received ${sizes.length}`);
  const gap = 2;
  const order = boxes.map((_, i) => i).sort((a, b) => boxes[a].y - boxes[b].y || boxes[a].x - boxes[b].x);
  const placed: (Rect | undefined)[] = new Array(boxes.length);
  const inside = (r: Rect): Rect => ({
    ...r,
    x: Math.min(Math.max(0, r.x), Math.max(0, width - r.width)),
    y: Math.min(Math.max(0, r.y), Math.max(0, height - r.height)),
  });
  for (const i of order) {
    const b = boxes[i];
    const { width: w, height: h } = sizes[i];
    const right = b.x + b.width - w, bottom = b.y + b.height - h;
    const candidates: Rect[] = [
      { x: b.x, y: b.y + b.height + gap, width: w, height: h },
      { x: right, y: b.y + b.height + gap, width: w, height: h },
      { x: b.x, y: b.y - h - gap, width: w, height: h },
      { x: right, y: b.y - h - gap, width: w, height: h },
      { x: b.x + b.width + gap, y: b.y, width: w, height: h },
      { x: b.x + b.width + gap, y: bottom, width: w, height: h },
      { x: b.x - w - gap, y: b.y, width: w, height: h },
      { x: b.x - w - gap, y: bottom, width: w, height: h },
    ].map(inside);
    let best = candidates[0], bestCost = Infinity;
    for (const c of candidates) {
      let cost = 0;
      boxes.forEach((o, j) => { if (j !== i) cost += 2 * overlapArea(c, o); });
      for (const p of placed) if (p) cost += overlapArea(c, p);
      // Covering its own face (possible once shifted inside a small image) is allowed but not free.
      cost += 0.5 * overlapArea(c, b);
      if (cost < bestCost) { best = c; bestCost = cost; }
      if (cost === 0) break;
    }
    placed[i] = best;
  }
  return placed as Rect[];
}
