/**
 * Gallery filters over the attribute decisions of a face, e.g. `Eyeglasses and not Wearing_Hat`.
 *
 * Grammar (case-insensitive keywords and attribute names):
 *   expr   := term (("or" | "||") term)*
 *   term   := factor (("and" | "&&" | "&") factor)*
 *   factor := ("not" | "!" | "-") factor | "(" expr ")" | ATTRIBUTE
 * An attribute is true when the face's decision is positive (probability >= its threshold).
 */

import { CELEBA_ATTRIBUTES } from '../attributes/names.js';

/** A compiled filter: decisions → match. */
export type FacePredicate = (decisions: Record<string, boolean>) => boolean;

/** A filter expression that does not parse; `position` is the character offset of the problem. */
export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

interface Token {
  kind: 'name' | 'and' | 'or' | 'not' | '(' | ')';
  text: string;
  pos: number;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(&&|&|\|\||!|-|\(|\))|([A-Za-z0-9_]+))/y;
  let m: RegExpExecArray | null;
  let i = 0;
  while (i < src.length) {
    re.lastIndex = i;
    m = re.exec(src);
    if (!m) {
      if (/^\s*$/.test(src.slice(i))) break;
      const at = i + (src.slice(i).length - src.slice(i).trimStart().length);
      throw new FilterSyntaxError(`unexpected "${src[at]}" at position ${at + 1}`, at);
    }
    const pos = m.index + m[0].length - (m[1] ?? m[2]).length;
    if (m[1]) {
      const op = m[1];
      out.push({ kind: op === '&&' || op === '&' ? 'and' : op === '||' ? 'or' : op === '!' || op === '-' ? 'not' : (op as '(' | ')'), text: op, pos });
    } else {
      const w = m[2].toLowerCase();
      out.push({ kind: w === 'and' ? 'and' : w === 'or' ? 'or' : w === 'not' ? 'not' : 'name', text: m[2], pos });
    }
    i = re.lastIndex;
  }
  return out;
}

/**
 * Compile a filter expression. An empty expression matches every face.
 * @param names the attribute names allowed (default: CelebA's 40)
 * @throws FilterSyntaxError for syntax errors and unknown attribute names (with a suggestion when close).
 * @example compileFilter('Eyeglasses and not Wearing_Hat')({ Eyeglasses: true, Wearing_Hat: false }) // true
 */
export function compileFilter(expression: string, names: readonly string[] = CELEBA_ATTRIBUTES): FacePredicate {
  const tokens = tokenize(expression);
  if (tokens.length === 0) return () => true;
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  let k = 0;
  const peek = () => tokens[k];
  const endPos = expression.length;
  const fail = (msg: string, t?: Token): never => {
    throw new FilterSyntaxError(msg, t?.pos ?? endPos);
  };

  const parseExpr = (): FacePredicate => {
    let left = parseTerm();
    while (peek()?.kind === 'or') {
      k++;
      const l = left, r = parseTerm();
      left = (d) => l(d) || r(d);
    }
    return left;
  };
  const parseTerm = (): FacePredicate => {
    let left = parseFactor();
    while (peek()?.kind === 'and') {
      k++;
      const l = left, r = parseFactor();
      left = (d) => l(d) && r(d);
    }
    return left;
  };
  const parseFactor = (): FacePredicate => {
    const t = peek();
    if (!t) return fail('expected an attribute name at the end');
    if (t.kind === 'not') {
      k++;
      const inner = parseFactor();
      return (d) => !inner(d);
    }
    if (t.kind === '(') {
      k++;
      const inner = parseExpr();
      if (peek()?.kind !== ')') fail(`expected ")" to close the "(" at position ${t.pos + 1}`, peek());
      k++;
      return inner;
    }
    if (t.kind === 'name') {
      k++;
      const name = byLower.get(t.text.toLowerCase());
      if (!name) {
        const hint = suggest(t.text, names);
        return fail(`unknown attribute "${t.text}"${hint ? ` (did you mean ${hint}?)` : ''}`, t);
      }
      return (d) => d[name] === true;
    }
    return fail(`expected an attribute name but found "${t.text}" at position ${t.pos + 1}`, t);
  };

  const pred = parseExpr();
  if (k < tokens.length) fail(`unexpected "${tokens[k].text}" at position ${tokens[k].pos + 1} (join conditions with "and" / "or")`, tokens[k]);
  return pred;
}

/** The attribute name closest to `word` (substring match, then edit distance <= 3), or null. */
function suggest(word: string, names: readonly string[]): string | null {
  const w = word.toLowerCase();
  const sub = names.find((n) => n.toLowerCase().includes(w) || w.includes(n.toLowerCase()));
  if (sub) return sub;
  let best: string | null = null;
  let bestD = 4;
  for (const n of names) {
    const d = editDistance(w, n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
