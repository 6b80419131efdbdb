import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { parseSidecar } from '../../src/attributes/sidecar.js';
import { loadAttributeModel } from '../../src/attributes/load-node.js';

// The training pipeline is Python (Debian's PyTorch at /usr/bin/python3). This test runs its smoke
// test — a few training steps on a handful of official CelebA aligned images used as fake crops —
// and checks that the exported model and sidecar are what the TypeScript side expects.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs a command without blocking the test worker's event loop (a spawnSync of a minute or more starves
 *  vitest's worker RPC, which then fails the run with "Timeout calling onTaskUpdate" although every test passed).
 *  Resolves with the exit status (null when killed after `timeoutMs`) and the collected output. */
function runCommand(cmd: string, args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
const PYTHON = '/usr/bin/python3';
const SHARED_CELEBA = resolve(ROOT, '../shared/data/celeba/img_align_celeba');
const REQUIRE = process.env.FACETALLY_REQUIRE_SHARED === '1';

function pythonProblem(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx, PIL, numpy'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} cannot import torch/onnx/PIL: ${(r.stderr || '').trim().split('\n').pop()}`;
  if (!existsSync(SHARED_CELEBA)) return `shared CelebA images not found at ${SHARED_CELEBA}`;
  return null;
}

const problem = pythonProblem();
if (problem && !REQUIRE) {
  console.warn(`[training smoke test] SKIPPED: ${problem} (set FACETALLY_REQUIRE_SHARED=1 to make this a failure)`);
}

describe.skipIf(problem !== null && !REQUIRE)('training smoke test (python → ONNX → sidecar)', () => {
  const out = mkdtempSync(join(tmpdir(), 'facetally-train-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('trains a few steps, exports an ONNX model giving 40 probabilities and a valid sidecar', async () => {
    expect(problem, problem ?? '').toBeNull();
    const r = await runCommand(PYTHON, [join(ROOT, 'training/smoke_test.py'), out], 110_000);
    if (r.status !== 0) throw new Error(`smoke_test.py failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    const paths = JSON.parse(lines[lines.length - 1]) as { onnx: string; sidecar: string; card: string; reference: string; pil_max_diff: number };
    // smoke_test.py also checks the in-graph resize against PIL's uint8 resize of a real crop.
    expect(paths.pil_max_diff).toBeGreaterThan(0);
    expect(paths.pil_max_diff).toBeLessThanOrEqual(1);

    const sidecar = parseSidecar(JSON.parse(readFileSync(paths.sidecar, 'utf8')), paths.sidecar);
    expect(sidecar.model).toBe('attributes.onnx');
    expect(sidecar.output).toBe('probabilities');
    expect(existsSync(paths.card)).toBe(true);

    // The exported graph takes raw aligned crops: uint8 [N, 218, 178, 3], resized and normalised inside.
    const { width, height } = sidecar.input;
    expect([sidecar.input.dtype, sidecar.input.layout, width, height]).toEqual(['uint8', 'NHWC', 178, 218]);
    const session = await ort.InferenceSession.create(paths.onnx);
    const inputName = sidecar.input.input_name ?? session.inputNames[0];
    expect(session.inputNames).toContain(inputName);
    const n = 2;
    const data = new Uint8Array(n * 3 * height * width);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + Math.floor(i / 128) * 11) % 256; // as in smoke_test.py
    const res = await session.run({ [inputName]: new ort.Tensor('uint8', data, [n, height, width, 3]) });
    const output = res[session.outputNames[0]];
    expect(session.outputNames[0]).toBe('probabilities');
    expect(output.dims).toEqual([n, 40]);
    const probs = output.data as Float32Array;
    expect(probs.length).toBe(n * 40);
    for (const p of probs) {
      expect(Number.isFinite(p)).toBe(true);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
    // Same numbers as PyTorch on the same input (smoke_test.py writes them): the export is faithful.
    const ref = (JSON.parse(readFileSync(paths.reference, 'utf8')) as { probabilities: number[] }).probabilities;
    expect(ref.length).toBe(n * 40);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(probs[i] - ref[i])).toBeLessThan(1e-4);

    // And through the TypeScript attribute model: the crop bytes go in as they are, same probabilities.
    const model = await loadAttributeModel(dirname(paths.onnx));
    const crops = [0, 1].map((k) => ({ data: data.subarray(k * height * width * 3, (k + 1) * height * width * 3), width, height }));
    expect(await model.preprocess(crops[1])).toBe(crops[1].data);
    const preds = await model.predict(crops);
    for (let k = 0; k < n; k++) {
      sidecar.attributes.forEach((a, j) => expect(Math.abs(preds[k].attributes[a] - probs[k * 40 + j])).toBeLessThan(1e-6));
    }
  });

  // Issue 18: the pretrained dlib member (a few steps), a student distilled from two teachers, and the
  // two-member ensemble graph, on the same fake crops (smoke_test.py OUT --v4 reuses the first run's outputs).
  it('fine-tunes the dlib member, distils a student and merges an ensemble whose output is the weighted mean', async () => {
    expect(problem, problem ?? '').toBeNull();
    const r = await runCommand(PYTHON, [join(ROOT, 'training/smoke_test.py'), out, '--v4'], 240_000);
    if (r.status !== 0) throw new Error(`smoke_test.py --v4 failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    const res = JSON.parse(lines[lines.length - 1]) as {
      dlib_onnx: string; dlib_architecture: string; reexport_same_max_diff: number; reexport_flat_max_diff: number; reexport_flat_tta: string | null; ensemble_onnx: string; ensemble_sidecar: string; ensemble_weights: number[];
      student_distillation: { teachers: string[]; alpha: number };
    };
    expect(res.dlib_architecture).toContain('dlib_face_recognition_resnet_model_v1');
    // Re-exported from its saved weights with the same options: the same validation probabilities (float rounding);
    // without --flip-tta: the bare network, whose probabilities differ from the mirror-averaged ones.
    expect(res.reexport_same_max_diff).toBeLessThan(1e-5);
    expect(res.reexport_flat_max_diff).toBeGreaterThan(1e-4);
    expect(res.reexport_flat_tta).toBeNull();
    expect(res.student_distillation.alpha).toBe(0.7);
    expect(res.student_distillation.teachers).toHaveLength(2);
    expect(res.ensemble_weights).toEqual([0.4, 0.6]);

    // The merged graph feeds the same crops to both members and outputs 0.4 p_own + 0.6 p_dlib. Its large
    // weights are stored as float16 (cast back on load), so it agrees to about 1e-3, and the file is smaller
    // than the two members together.
    const own = join(out, 'model', 'attributes.onnx');
    const sizes = [own, res.dlib_onnx, res.ensemble_onnx].map((f) => statSync(f).size);
    expect(sizes[2]).toBeLessThan(0.7 * (sizes[0] + sizes[1]));
    const n = 2, height = 218, width = 178;
    const data = new Uint8Array(n * 3 * height * width);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + Math.floor(i / 128) * 11) % 256;
    const run = async (file: string): Promise<Float32Array> => {
      const session = await ort.InferenceSession.create(file);
      const out_ = await session.run({ crops: new ort.Tensor('uint8', data, [n, height, width, 3]) });
      await session.release();
      return out_.probabilities.data as Float32Array;
    };
    const [a, b, e] = [await run(own), await run(res.dlib_onnx), await run(res.ensemble_onnx)];
    expect(e.length).toBe(n * 40);
    let maxDiff = 0;
    for (let i = 0; i < e.length; i++) maxDiff = Math.max(maxDiff, Math.abs(e[i] - (0.4 * a[i] + 0.6 * b[i])));
    expect(maxDiff).toBeLessThan(2e-3);
    // The two members really differ here, so the check above can tell a wrong weight or member apart.
    let memberDiff = 0;
    for (let i = 0; i < a.length; i++) memberDiff = Math.max(memberDiff, Math.abs(a[i] - b[i]));
    expect(memberDiff).toBeGreaterThan(0.02);

    // The TypeScript side loads the ensemble like any model folder.
    const sidecar = parseSidecar(JSON.parse(readFileSync(res.ensemble_sidecar, 'utf8')), res.ensemble_sidecar);
    expect(sidecar.input.dtype).toBe('uint8');
    const model = await loadAttributeModel(dirname(res.ensemble_onnx));
    const preds = await model.predict([{ data: data.subarray(0, height * width * 3), width, height }]);
    sidecar.attributes.forEach((name, j) => expect(Math.abs(preds[0].attributes[name] - e[j])).toBeLessThan(1e-6));
    await model.release();
  }, 260_000);
});
