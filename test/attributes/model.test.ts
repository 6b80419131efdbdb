import { describe, expect, it } from 'vitest';
import { AttributeModel, ModelOutputError } from '../../src/attributes/model.js';
import { errorRecord } from '../../src/pipeline/tag.js';
import { CELEBA_ATTRIBUTES } from '../../src/attributes/names.js';
import { parseSidecar, type Sidecar } from '../../src/attributes/sidecar.js';
import type { ImageOps } from '../../src/image/ops.js';
import type { FloatTensor, InputTensor, ModelRunner } from '../../src/runtime/onnx.js';

// The attribute model's two input kinds, with a fake runner that records what it was fed.

function sidecar(input: Record<string, unknown>): Sidecar {
  const per = { tp: 1, fn: 0, tn: 1, fp: 0, accuracy: 1, balanced_accuracy: 1, baseline: 0.5, sensitivity: 1, specificity: 1 };
  return parseSidecar({
    format: 'facetally-attributes/1',
    model: 'attributes.onnx',
    attributes: [...CELEBA_ATTRIBUTES],
    input,
    output: 'probabilities',
    thresholds: Object.fromEntries(CELEBA_ATTRIBUTES.map((a) => [a, 0.5])),
    validation: { split: 'val', n: 2, mean_accuracy: 1, mean_balanced_accuracy: 1, mean_baseline: 0.5, per_attribute: Object.fromEntries(CELEBA_ATTRIBUTES.map((a) => [a, per])) },
    training: {},
  }, 'test sidecar');
}

/** Runner returning probability (face index + 1) / 10 for attribute 0 and 0.25 elsewhere. */
function fakeRunner(fed: InputTensor[]): ModelRunner {
  return {
    inputNames: ['crops'],
    outputNames: ['probabilities'],
    async run(feeds: Record<string, InputTensor>): Promise<Record<string, FloatTensor>> {
      const t = Object.values(feeds)[0];
      fed.push(t);
      const n = t.dims[0];
      const data = new Float32Array(n * 40).fill(0.25);
      for (let i = 0; i < n; i++) data[i * 40] = (i + 1) / 10;
      return { probabilities: { data, dims: [n, 40] } };
    },
  };
}

const noResize: ImageOps = { resize: () => Promise.reject(new Error('a uint8 model must not resize')) };

function crop(seed: number) {
  const data = new Uint8Array(178 * 218 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed) % 256;
  return { data, width: 178, height: 218 };
}

const uint8Input = { width: 178, height: 218, layout: 'NHWC', dtype: 'uint8', region: { x: 0, y: 0, width: 178, height: 218 }, mean: [0.5, 0.4, 0.3], std: [0.3, 0.3, 0.3], input_name: 'crops' };

describe('AttributeModel with a uint8 (in-graph preprocessing) model', () => {
  it('feeds the crop bytes unchanged as one [N, 218, 178, 3] uint8 batch and never resizes', async () => {
    const fed: InputTensor[] = [];
    const model = new AttributeModel(sidecar(uint8Input), fakeRunner(fed), noResize);
    const crops = [crop(1), crop(2), crop(3)];
    const preds = await model.predict(crops);
    expect(fed).toHaveLength(1);
    expect(fed[0].data).toBeInstanceOf(Uint8Array);
    expect(fed[0].dims).toEqual([3, 218, 178, 3]);
    const per = 178 * 218 * 3;
    for (let k = 0; k < 3; k++) expect(Buffer.compare(Buffer.from(fed[0].data.subarray(k * per, (k + 1) * per)), Buffer.from(crops[k].data))).toBe(0);
    expect(preds.map((p) => p.attributes['5_o_Clock_Shadow'])).toEqual([0.1, 0.2, 0.3].map((v) => Math.fround(v)));
    expect(preds.map((p) => p.decisions['5_o_Clock_Shadow'])).toEqual([false, false, false]);
    expect(preds[0].attributes.Young).toBe(0.25);
  });

  it('refuses a uint8 model whose input is not the whole crop in NHWC, and a crop of the wrong size', async () => {
    const model = new AttributeModel(sidecar({ ...uint8Input, layout: 'NCHW' }), fakeRunner([]), noResize);
    await expect(model.preprocess(crop(0))).rejects.toThrow(/whole 178x218 crop in NHWC/);
    const ok = new AttributeModel(sidecar(uint8Input), fakeRunner([]), noResize);
    await expect(ok.preprocess({ data: new Uint8Array(64 * 80 * 3), width: 64, height: 80 })).rejects.toThrow(/178x218 canonical crop/);
  });

  it('a float32 model still gets resized, normalised NCHW floats', async () => {
    const fed: InputTensor[] = [];
    // Resize stub: a 1x1 image of the crop's first pixel, so the expected values are computed by hand.
    const ops: ImageOps = { resize: async (img) => ({ data: img.data.slice(0, 3), width: 1, height: 1 }) };
    const model = new AttributeModel(sidecar({ ...uint8Input, dtype: 'float32', layout: 'NCHW', width: 1, height: 1 }), fakeRunner(fed), ops);
    await model.predict([crop(51)]); // first pixel (51, 58, 65)
    expect(fed[0].data).toBeInstanceOf(Float32Array);
    expect(fed[0].dims).toEqual([1, 3, 1, 1]);
    const want = [(51 / 255 - 0.5) / 0.3, (58 / 255 - 0.4) / 0.3, (65 / 255 - 0.3) / 0.3];
    [...fed[0].data].forEach((v, c) => expect(v).toBeCloseTo(want[c], 6));
  });
});

describe('the sidecar of a larger model (an ensemble of networks in one graph)', () => {
  const net = (w: number, h: number) => ({ width: w, height: h, layout: 'NCHW', region: { x: 0, y: 0, width: 178, height: 218 } });
  it('accepts input.network as one object or a list (one per member) and fields it does not know; the model runs the same', async () => {
    expect(sidecar({ ...uint8Input, network: net(64, 80) }).input.network).toEqual(net(64, 80));
    const sc = parseSidecar({ ...sidecar({ ...uint8Input, network: [net(64, 80), net(150, 183)] }), ensemble: { members: 2 } }, 'ensemble sidecar');
    expect(sc.input.network).toEqual([net(64, 80), net(150, 183)]);
    const fed: InputTensor[] = [];
    const preds = await new AttributeModel(sc, fakeRunner(fed), noResize).predict([crop(1)]);
    expect(fed[0].dims).toEqual([1, 218, 178, 3]);
    expect(preds[0].attributes['5_o_Clock_Shadow']).toBe(Math.fround(0.1));
  });
  it('still refuses a network field that is neither (a number)', () => {
    expect(() => sidecar({ ...uint8Input, network: 64 })).toThrow(/test sidecar: invalid attribute-model sidecar: input\.network/);
  });
});

describe('AttributeModel with an output that is not a probability', () => {
  /** Runner returning 0.25 everywhere except `value` for attribute `k` of face 1. */
  const badRunner = (k: number, value: number): ModelRunner => ({
    inputNames: ['crops'],
    outputNames: ['probabilities'],
    async run(feeds: Record<string, InputTensor>): Promise<Record<string, FloatTensor>> {
      const n = Object.values(feeds)[0].dims[0];
      const data = new Float32Array(n * 40).fill(0.25);
      data[40 + k] = value;
      return { probabilities: { data, dims: [n, 40] } };
    },
  });
  it('throws ModelOutputError naming the face and the attribute, and the photo gets an invalid_model_output record', async () => {
    // Before: NaN became decision false (NaN >= t is false), null in JSON and NaN in CSV, with no error.
    for (const [k, v] of [[20, NaN], [0, Infinity], [31, -0.5], [39, 1.5]] as const) {
      const model = new AttributeModel(sidecar(uint8Input), badRunner(k, v), noResize);
      const err = await model.predict([crop(1), crop(2)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelOutputError);
      expect((err as Error).message).toBe(`the attribute model returned ${v} for ${CELEBA_ATTRIBUTES[k]} of face 1 (expected a probability in [0, 1])`);
      expect(errorRecord('photos/x.jpg', err)).toEqual({
        path: 'photos/x.jpg', width: null, height: null, faces: [],
        error: { code: 'invalid_model_output', message: `photos/x.jpg: ${(err as Error).message}` },
      });
    }
    // The edges 0 and 1 are probabilities.
    for (const v of [0, 1]) await expect(new AttributeModel(sidecar(uint8Input), badRunner(3, v), noResize).predict([crop(1), crop(2)])).resolves.toHaveLength(2);
  });
});
