/**
 * Two attribute models side by side on the sample photos (../shared/data/photos), through the full pipeline
 * (decode → BlazeFace → align → attributes, as `facetally tag` runs it): for every face, all 40 probabilities of
 * both models, and the decisions a person can check by eye, counted against `expected.json`'s listed attributes
 * and against a few more unambiguous values on the group photos that this script's author read off the photos
 * (listed below in BY_EYE, kept apart from expected.json in every count).
 *
 * NEVER USE THIS TO TUNE ANYTHING. The sample photos are a handful of out-of-CelebA pictures to look at, not a
 * validation set: no model, threshold, temperature, checkpoint or training choice may be picked because of what
 * this prints (choose on validation, report on test). It is a report, run after the choices are made.
 *
 *   npx tsx scripts/compare-models.ts [--a MODEL] [--b MODEL] [--photos DIR] [--out FILE.md]
 *
 * MODEL is a model folder (attributes.json + its ONNX file) or `git:REV`, the `models/celeba-attributes/` of that
 * commit, extracted to a temporary folder (removed at exit). Defaults: --a `git:<v3>` (the last commit that changed
 * the shipped model before v4, V3_REV in model-spec.ts), --b `models/celeba-attributes` (the working tree's model). When
 * both are the same files (today, before v4 lands), one model column is printed. Output: Markdown on stdout, or
 * in --out (replaced). Exit codes: 0 done, 1 bad usage or a model/photo folder that cannot be read.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { CELEBA_ATTRIBUTES } from '../src/attributes/names.js';
import { IMAGE_EXTENSIONS } from '../src/pipeline/files.js';
import { Tagger } from '../src/pipeline/tag.js';
import type { Face, PhotoResult } from '../src/types.js';
import { modelFolder, V3_REV } from './model-spec.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.FACETALLY_SHARED ? resolve(process.env.FACETALLY_SHARED) : resolve(repoRoot, '..', 'shared');

/**
 * Unambiguous values read off the group photos by eye (the author of this script, helper eval18, 2026-12-06), for
 * faces expected.json gives no attributes for. A face is found by its centre as a fraction of the photo's width
 * and height (the nearest detected face within half a face width). Only what a careful annotator would not
 * dispute is listed: no Smiling where the mouth is closed and the smile faint; `child` marks children and young
 * adolescents, on whom Bags_Under_Eyes is false (the issue's check).
 */
const BY_EYE: Record<string, { centre: [number, number]; who: string; values: Record<string, boolean> }[]> = {
  'family_of_7.jpg': [
    { centre: [0.407, 0.45], who: 'woman, centre, headband', values: { Male: false, Eyeglasses: false, Wearing_Hat: false, Smiling: true } },
    { centre: [0.156, 0.467], who: 'man, left, bald', values: { Male: true, Eyeglasses: false, Wearing_Hat: false } },
    { centre: [0.555, 0.808], who: 'girl, bottom (child)', values: { Male: false, Eyeglasses: false, Wearing_Hat: false, Smiling: true, Bags_Under_Eyes: false } },
    { centre: [0.84, 0.415], who: 'man, right, beard', values: { Male: true, Eyeglasses: false, Wearing_Hat: false } },
    { centre: [0.634, 0.404], who: 'girl, right of centre (child)', values: { Male: false, Eyeglasses: false, Wearing_Hat: false, Smiling: true, Bags_Under_Eyes: false } },
    { centre: [0.556, 0.528], who: 'girl, centre (child)', values: { Male: false, Eyeglasses: false, Wearing_Hat: false, Smiling: true, Bags_Under_Eyes: false } },
    { centre: [0.263, 0.319], who: 'boy, top left (adolescent)', values: { Male: true, Eyeglasses: false, Wearing_Hat: false, Bags_Under_Eyes: false } },
  ],
  'group_of_3.jpg': [
    { centre: [0.408, 0.621], who: 'man, centre, beard', values: { Male: true, Eyeglasses: false, Wearing_Hat: false, Smiling: false } },
    { centre: [0.748, 0.566], who: 'woman, right', values: { Male: false, Eyeglasses: false, Wearing_Hat: false } },
    { centre: [0.289, 0.283], who: 'man, top left, curly hair', values: { Male: true, Eyeglasses: false, Wearing_Hat: false } },
  ],
};

const HELP = `usage: npx tsx scripts/compare-models.ts [--a MODEL] [--b MODEL] [--a-label S] [--b-label S] [--photos DIR] [--out FILE.md]

Two attribute models side by side on the sample photos through the full pipeline: every face's 40 probabilities
for both, and the eye-checkable decisions (Male, Eyeglasses, Wearing_Hat, Smiling, Young; Bags_Under_Eyes on
children) counted against ../shared/data/photos/expected.json and a few by-eye values on the group photos.
NEVER use it to tune anything (models, thresholds, checkpoints): it is a report on photos outside CelebA.

MODEL: a model folder (attributes.json + ONNX) or git:REV (models/celeba-attributes/ of that commit).
Defaults: --a git:${V3_REV.slice(0, 12)} (v3), --b models/celeba-attributes (the working tree).
One column when A and B are the same files.

v3 vs the model now in models/celeba-attributes (e.g. v4), written where the model card can point:
  npx tsx scripts/compare-models.ts --b-label v4 --out models/celeba-attributes/sample-photos.md

Exit codes: 0 done; 1 bad usage, a model that cannot be read or loaded, or no photos.`;

interface Args { a: string; b: string; aLabel?: string; bLabel?: string; photos: string; out?: string }

function parseArgs(argv: string[]): Args {
  const cmd = new Command('compare-models')
    .option('--a <model>', 'model A: a folder or git:REV', `git:${V3_REV}`)
    .option('--b <model>', 'model B: a folder or git:REV', join(repoRoot, 'models', 'celeba-attributes'))
    .option('--a-label <s>', "model A's column label")
    .option('--b-label <s>', "model B's column label")
    .option('--photos <dir>', 'photo folder with expected.json', join(shared, 'data', 'photos'))
    .option('--out <file.md>', 'write the Markdown here (replaced) instead of stdout');
  cmd.helpInformation = () => `${HELP}\n`;
  const o = cmd.parse(argv, { from: 'user' }).opts<Args>();
  return { ...o, photos: resolve(o.photos), out: o.out === undefined ? undefined : resolve(o.out) };
}

class UsageError extends Error {}

interface ResolvedModel { spec: string; label: string; dir: string; onnxSha: string; sidecarSha: string; name: string }

/** A model folder, or `git:REV` extracted to `tmp`. @throws UsageError when it cannot be read. */
function resolveModel(spec: string, label: string | undefined, tmp: string, tag: string): ResolvedModel {
  let dir: string;
  try {
    dir = modelFolder(spec, repoRoot, join(tmp, tag));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const sidecarText = readFileSync(join(dir, 'attributes.json'));
  const sc = JSON.parse(sidecarText.toString('utf8')) as { model: string; training?: { date?: string } };
  const onnx = join(dir, sc.model);
  if (!existsSync(onnx)) throw new UsageError(`${onnx}: the ONNX file named by ${join(dir, 'attributes.json')} is missing`);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 16);
  const defaultLabel = spec === `git:${V3_REV}` ? 'v3' : spec.startsWith('git:') ? spec : displayDir(dir);
  return { spec, label: label ?? defaultLabel, dir, onnxSha: sha(readFileSync(onnx)), sidecarSha: sha(sidecarText), name: `${sc.model}${sc.training?.date ? `, trained ${sc.training.date}` : ''}` };
}

/** A folder as the report shows it: relative to the repository when inside it, else absolute. */
const displayDir = (dir: string) => {
  const r = relative(repoRoot, dir);
  return r === '' ? '.' : r.startsWith('..') ? dir : r;
};

const p3 = (p: number) => p.toFixed(3);
const mark = (d: boolean) => (d ? '**yes**' : 'no');

/** Index of the face in `faces` nearest the fractional centre (within half a face width), or -1. */
function faceAt(faces: Face[], w: number, h: number, centre: [number, number]): number {
  let best = -1, bestD = Infinity;
  faces.forEach((f, i) => {
    const dx = f.box.x + f.box.width / 2 - centre[0] * w, dy = f.box.y + f.box.height / 2 - centre[1] * h;
    const d = Math.hypot(dx, dy);
    if (d < bestD && d < f.box.width / 2) [best, bestD] = [i, d];
  });
  return best;
}

async function tagAll(modelDir: string, photos: string[]): Promise<PhotoResult[]> {
  const tagger = await Tagger.create({ modelDir, threads: 2 });
  try {
    const out: PhotoResult[] = [];
    for (const p of photos) out.push(await tagger.tagFile(p));
    return out;
  } finally {
    await tagger.close();
  }
}

interface Check { photo: string; face: number; who: string; attribute: string; expected: boolean; source: 'expected.json' | 'by eye' }

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const tmp = mkdtempSync(join(tmpdir(), 'facetally-compare-models-'));
  try {
    const A = resolveModel(args.a, args.aLabel, tmp, 'a');
    const B = resolveModel(args.b, args.bLabel, tmp, 'b');
    const same = A.onnxSha === B.onnxSha && A.sidecarSha === B.sidecarSha;
    const models = same ? [{ ...B, label: args.bLabel ?? (A.label === 'v3' ? 'v3' : B.label) }] : [A, B];
    if (!existsSync(args.photos)) throw new UsageError(`${args.photos}: photo folder not found (../shared/data/photos, or --photos DIR)`);
    const names = readdirSync(args.photos).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
    if (names.length === 0) throw new UsageError(`${args.photos}: no photos`);
    const expectedPath = join(args.photos, 'expected.json');
    const expected = existsSync(expectedPath)
      ? (JSON.parse(readFileSync(expectedPath, 'utf8')).photos as Record<string, { faces?: number; attributes?: Record<string, boolean> }>)
      : {};
    process.stderr.write(`compare-models: ${names.length} photos, ${models.map((m) => `${m.label} (${m.dir})`).join(' vs ')}\n`);
    const results: PhotoResult[][] = [];
    for (const m of models) results.push(await tagAll(m.dir, names.map((n) => join(args.photos, n))));

    // The detector and alignment do not depend on the attribute model: the faces must be the same in both runs.
    for (let i = 0; i < names.length && results.length === 2; i++) {
      const [ra, rb] = [results[0][i], results[1][i]];
      if (ra.faces.length !== rb.faces.length || ra.faces.some((f, k) => Math.abs(f.box.x - rb.faces[k].box.x) > 1e-6)) {
        throw new Error(`${names[i]}: the two runs found different faces (${ra.faces.length} vs ${rb.faces.length}); the detector should not depend on the attribute model`);
      }
    }

    // Which face/attribute values are known: expected.json's (one-face photos: the largest face), then the by-eye list.
    const checks: Check[] = [];
    names.forEach((n, i) => {
      const r = results[0][i];
      const e = expected[n];
      if (e?.attributes && r.faces.length > 0) {
        const face = r.faces.reduce((best, f, k) => (f.box.width > r.faces[best].box.width ? k : best), 0);
        for (const [attribute, v] of Object.entries(e.attributes)) checks.push({ photo: n, face, who: 'the photo\'s face', attribute, expected: v, source: 'expected.json' });
      }
      for (const b of BY_EYE[n] ?? []) {
        const face = faceAt(r.faces, r.width ?? 0, r.height ?? 0, b.centre);
        if (face < 0) continue;
        for (const [attribute, v] of Object.entries(b.values)) checks.push({ photo: n, face, who: b.who, attribute, expected: v, source: 'by eye' });
      }
    });

    const L: string[] = [];
    const cols = models.map((m) => m.label);
    L.push(`# Sample photos: ${same ? `model ${cols[0]}` : `${cols[0]} vs ${cols[1]}`}, face by face`);
    L.push('');
    L.push('**A report, never a tuning set.** No model, threshold, temperature or checkpoint may be chosen by these photos; ' +
      'they are a handful of pictures outside CelebA (children, a group, an older woman in uniform) to look at after the choices were made on validation.');
    L.push('');
    L.push(`Made by \`npx tsx scripts/compare-models.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\` on ${names.length} photos in \`../shared/data/photos\` ` +
      `(full pipeline: decode, BlazeFace, alignment, attributes; the same faces for every model). Models:`);
    for (const m of models) L.push(`- **${m.label}**: \`${m.spec.startsWith('git:') ? `${m.spec.slice(0, 16)}…:models/celeba-attributes` : displayDir(m.dir)}\` (${m.name}; onnx sha256 ${m.onnxSha}, sidecar ${m.sidecarSha})`);
    if (same) L.push(`\nOne column: both arguments are the same model files. To compare v3 with a new model in models/celeba-attributes: \`npx tsx scripts/compare-models.ts --b-label v4 --out models/celeba-attributes/sample-photos.md\`.`);
    L.push('');

    // 1. The checks.
    L.push('## Decisions a person can check by eye');
    L.push('');
    L.push('Expected values: `expected.json` (checked by eye when the photos were collected) and, kept apart, unambiguous values on the group photos read off the photos by the script\'s author (`BY_EYE` in the script). ' +
      'A cell is the probability and the decision (**yes** = the attribute is predicted); ✗ marks a decision that disagrees with the expected value.');
    L.push('');
    L.push(`| photo | face | who | attribute | expected | source | ${cols.join(' | ')} |`);
    L.push(`|---|---:|---|---|---|---|${cols.map(() => '---').join('|')}|`);
    const agree = models.map(() => ({ 'expected.json': 0, 'by eye': 0, children: 0 }));
    const totals = { 'expected.json': 0, 'by eye': 0, children: 0 };
    for (const c of checks) {
      const i = names.indexOf(c.photo);
      const isChild = c.attribute === 'Bags_Under_Eyes' && c.source === 'by eye';
      totals[c.source]++;
      if (isChild) totals.children++;
      const cells = results.map((res, m) => {
        const f = res[i].faces[c.face];
        const ok = f.decisions[c.attribute] === c.expected;
        if (ok) {
          agree[m][c.source]++;
          if (isChild) agree[m].children++;
        }
        return `${p3(f.attributes[c.attribute])} ${mark(f.decisions[c.attribute])}${ok ? '' : ' ✗'}`;
      });
      L.push(`| ${c.photo} | ${c.face} | ${c.who} | ${c.attribute} | ${c.expected ? 'yes' : 'no'} | ${c.source} | ${cells.join(' | ')} |`);
    }
    L.push('');
    for (const [m, model] of models.entries()) {
      L.push(`- **${model.label}** agrees with expected.json on **${agree[m]['expected.json']} of ${totals['expected.json']}** values, with the by-eye values on ` +
        `**${agree[m]['by eye']} of ${totals['by eye']}** (Bags_Under_Eyes false on the ${totals.children} children and adolescents: ${agree[m].children} of ${totals.children}).`);
    }
    L.push('');

    // 2. Positive decisions per attribute over all faces.
    const allFaces = results.map((res) => res.flatMap((r) => r.faces));
    L.push(`## Positive decisions per attribute over all ${allFaces[0].length} faces`);
    L.push('');
    L.push('Faces per photo: ' + names.map((n, i) => `${n} ${results[0][i].faces.length}${expected[n]?.faces !== undefined ? ` (expected ${expected[n].faces})` : ''}`).join(', ') + '.');
    L.push('');
    L.push(`| attribute | ${cols.map((c) => `${c}: faces predicted yes`).join(' | ')} |`);
    L.push(`|---|${cols.map(() => '---:').join('|')}|`);
    for (const a of CELEBA_ATTRIBUTES) {
      L.push(`| ${a} | ${allFaces.map((fs) => `${fs.filter((f) => f.decisions[a]).length} of ${fs.length}`).join(' | ')} |`);
    }
    L.push('');

    // 3. Every probability, face by face.
    L.push('## Every attribute, face by face');
    L.push('');
    L.push(`Probability of each model (after its calibration), **bold** where the decision is yes; "≠" where the ${same ? '' : 'two models\' '}decisions differ.`);
    names.forEach((n, i) => {
      results[0][i].faces.forEach((f, k) => {
        L.push('');
        const b = f.box;
        L.push(`### ${n}, face ${k} (box ${b.x.toFixed(0)}, ${b.y.toFixed(0)}, ${b.width.toFixed(0)} x ${b.height.toFixed(0)} px; detector score ${f.score.toFixed(2)})`);
        L.push('');
        L.push(`| attribute | ${cols.join(' | ')} |${same ? '' : ' differ |'}`);
        L.push(`|---|${cols.map(() => '---:').join('|')}|${same ? '' : '---|'}`);
        for (const a of CELEBA_ATTRIBUTES) {
          const fs = results.map((res) => res[i].faces[k]);
          const cells = fs.map((x) => (x.decisions[a] ? `**${p3(x.attributes[a])}**` : p3(x.attributes[a])));
          const differ = !same && fs[0].decisions[a] !== fs[1].decisions[a] ? '≠' : '';
          L.push(`| ${a} | ${cells.join(' | ')} |${same ? '' : ` ${differ} |`}`);
        }
      });
    });
    const problems = names.filter((_, i) => results[0][i].error);
    if (problems.length) L.push('', `Photos that could not be read: ${problems.join(', ')}.`);
    const text = L.join('\n') + '\n';
    if (args.out) {
      writeFileSync(args.out, text);
      process.stderr.write(`compare-models: wrote ${args.out}\n`);
    } else process.stdout.write(text);
    for (const [m, model] of models.entries()) {
      process.stderr.write(`compare-models: ${model.label}: expected.json ${agree[m]['expected.json']}/${totals['expected.json']}, by eye ${agree[m]['by eye']}/${totals['by eye']}, children's Bags_Under_Eyes ${agree[m].children}/${totals.children}\n`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`compare-models: ${err instanceof UsageError ? '' : 'error: '}${(err as Error).message}\n`);
  process.exit(1);
});
