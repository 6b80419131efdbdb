/**
 * Model folders for the comparison scripts (compare-models.ts, web-attr-timing.ts): a folder as it is, or
 * `git:REV`, the `models/celeba-attributes/` of a commit (its attributes.json and the ONNX file it names),
 * extracted with `git show` into a temporary folder the caller removes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The commit whose `models/celeba-attributes/` is v3 (ONNX file and sidecar last changed there: v3 with in-graph preprocessing). */
export const V3_REV = '49e8d6e07302baa037fb2058f188bf032f2d6bf7';

/**
 * The folder of a model spec: `git:REV` is extracted to `into` (created), anything else is a folder path.
 * @throws Error when the commit lacks the files, or the folder has no attributes.json.
 */
export function modelFolder(spec: string, repoRoot: string, into: string): string {
  if (!spec.startsWith('git:')) {
    const dir = resolve(spec);
    if (!existsSync(join(dir, 'attributes.json'))) throw new Error(`${dir}: no attributes.json (expected a model folder or git:REV)`);
    return dir;
  }
  const rev = spec.slice(4);
  const show = (p: string) => {
    try {
      return execFileSync('git', ['-C', repoRoot, 'show', `${rev}:models/celeba-attributes/${p}`], { maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      throw new Error(`${spec}: cannot read models/celeba-attributes/${p} at that commit`);
    }
  };
  mkdirSync(into, { recursive: true });
  const sidecar = show('attributes.json');
  writeFileSync(join(into, 'attributes.json'), sidecar);
  const model = (JSON.parse(sidecar.toString('utf8')) as { model: string }).model;
  writeFileSync(join(into, model), show(model));
  return into;
}
