import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';

// The port test of training/dlib_resnet.py (dlib's face-recognition ResNet in PyTorch, the pretrained
// backbone of the attribute model): on 4 aligned 150x150 crops of the bundled example photos (mirrored
// too), the PyTorch forward must give the same 128-d descriptors as @vladmandic/face-api's own tfjs
// forward. The reference vectors were computed once by scripts/dlib-reference.ts (face-api 1.7.15,
// tfjs 4.22.0, pure-JS cpu backend) and stored in test/fixtures/dlib-port/reference.json.
// Measured max abs difference: 2.7e-7 (entries up to 0.38); tolerance 1e-5 (float32 rounding of
// different summation orders across ~20 layers; a wrong transpose, padding or normalisation gives
// differences of order 1e-2 and more).

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PYTHON = '/usr/bin/python3';
const FIXTURE = join(ROOT, 'test/fixtures/dlib-port');
const WEIGHTS = join(ROOT, 'node_modules/@vladmandic/face-api/model/face_recognition_model.bin');
const REQUIRE = process.env.FACETALLY_REQUIRE_SHARED === '1' || process.env.CI === 'true';
const TOLERANCE = 1e-5;

function pythonProblem(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, PIL, numpy'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} cannot import torch/PIL/numpy: ${(r.stderr || '').trim().split('\n').pop()}`;
  if (!existsSync(WEIGHTS)) return `face-api weights not found at ${WEIGHTS} (npm install)`;
  return null;
}

const problem = pythonProblem();
if (problem && !REQUIRE) {
  console.warn(`[dlib port test] SKIPPED: ${problem} (set CI=true or FACETALLY_REQUIRE_SHARED=1 to make this a failure)`);
}

interface Reference {
  crops: string[];
  descriptors: number[][];
}
interface PortOutput {
  descriptors: number[][];
  max_abs_diff: number;
  nonsquare: Record<string, { features: number[]; descriptor: number[]; finite: boolean }>;
  recalibration: {
    eval_max_abs_change: number;
    eval_max_abs: number;
    train_vs_eval_rel_before: number;
    train_vs_eval_rel_after: number;
  };
  onnx: { path: string; input_136x112: number[]; descriptor_136x112: number[] };
  missing_weights_error: string | null;
}

describe.skipIf(problem !== null && !REQUIRE)('dlib face-recognition ResNet: PyTorch port vs face-api tfjs', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'facetally-dlib-port-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('gives face-api\'s 128-d descriptors on the fixture crops, runs on non-square inputs, exports to ONNX', async () => {
    expect(problem, problem ?? '').toBeNull();
    const ref = JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as Reference;
    expect(ref.crops).toHaveLength(4);
    expect(ref.descriptors).toHaveLength(4);
    // The reference is a real forward, not a constant: norms 1.24-1.30 and the two photos' vectors
    // 0.51 apart (Euclidean), four orders of magnitude above the tolerance.
    const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]));
    for (const d of ref.descriptors) expect(Math.hypot(...d)).toBeGreaterThan(1);
    expect(dist(ref.descriptors[0], ref.descriptors[2])).toBeGreaterThan(0.3);

    const r = spawnSync(PYTHON, [join(ROOT, 'training/dlib_port_check.py'), FIXTURE, join(tmp, 'dlib.onnx')], {
      cwd: ROOT,
      encoding: 'utf8',
      // ~5 s of CPU (about 10 s wall on an idle 2-core machine); generous for a loaded one, under testTimeout.
      timeout: 110_000,
    });
    if (r.status !== 0) {
      const why = r.error ? `${r.error.message}` : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
      throw new Error(`dlib_port_check.py failed (${why}):\n${r.stdout}\n${r.stderr}`);
    }
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as PortOutput;

    expect(out.descriptors).toHaveLength(4);
    let maxDiff = 0;
    out.descriptors.forEach((d, k) => {
      expect(d).toHaveLength(128);
      d.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - ref.descriptors[k][i]))));
    });
    expect(maxDiff).toBeLessThan(TOLERANCE);
    expect(Math.abs(out.max_abs_diff - maxDiff)).toBeLessThan(1e-9);

    // Non-square inputs, as the attribute fine-tune uses (one axis of the down blocks' branch is padded).
    expect(out.nonsquare).toEqual({
      '136x112': { features: [1, 256], descriptor: [1, 128], finite: true },
      '183x150': { features: [1, 256], descriptor: [1, 128], finite: true },
    });

    // recalibrate_batchnorm: the eval-mode function stays (measured change 4.8e-7 on features up to 2.1);
    // train-mode BatchNorm on the calibration batch then matches eval mode (measured relative difference
    // 1.2e-7), where with the placeholder statistics (mean 0, var 1) it was off by 11x (measured 11.1).
    const rc = out.recalibration;
    expect(rc.eval_max_abs).toBeGreaterThan(0.5);
    expect(rc.eval_max_abs_change).toBeLessThan(1e-4);
    expect(rc.train_vs_eval_rel_before).toBeGreaterThan(1);
    expect(rc.train_vs_eval_rel_after).toBeLessThan(1e-4);

    // ONNX export (opset 17, exported from a 150x150 example): ONNX Runtime gives PyTorch's descriptor on
    // a 136x112 input, so the per-axis padding survives export with dynamic H, W (measured diff 2.5e-7).
    const session = await ort.InferenceSession.create(out.onnx.path);
    const res = await session.run({ input: new ort.Tensor('float32', Float32Array.from(out.onnx.input_136x112), [1, 3, 136, 112]) });
    const onnxDescriptor = res.descriptor.data as Float32Array;
    expect(res.descriptor.dims).toEqual([1, 128]);
    let onnxDiff = 0;
    onnxDescriptor.forEach((v, i) => (onnxDiff = Math.max(onnxDiff, Math.abs(v - out.onnx.descriptor_136x112[i]))));
    expect(onnxDiff).toBeLessThan(TOLERANCE);

    // Without the weights (no npm install), load_face_api_weights says what is missing and what to do.
    expect(out.missing_weights_error).toMatch(
      /^FileNotFoundError: dlib face-recognition weights not found: missing .*face_recognition_model-weights_manifest\.json/,
    );
    expect(out.missing_weights_error).toContain('npm install');
  });
});
