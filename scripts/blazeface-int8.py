"""Derive an int8 (QDQ) copy of the size-free full-range BlazeFace, so onnxruntime runs QLinearConv.

  /usr/bin/python3 scripts/blazeface-int8.py [--max-stride 4] [--weight-bits 7] [--depthwise-bits 8]
                                             [--percentile 99.99] [--images 64] [--keep DIR] [--ranges JSON]

Source: `models/blazeface/face_detection_back_dynamic.onnx` (the size-free copy made by
scripts/blazeface-dynamic.py). Output: `models/blazeface/face_detection_back_dynamic_int8.onnx`.
Needs python3-onnx and python3-numpy (Debian; run with /usr/bin/python3) and Node with this package's
dependencies (the calibration runs the float model with onnxruntime-node: scripts/blazeface-calibrate.ts).

Static post-training quantisation (Krishnamoorthi, "Quantizing deep convolutional networks for efficient inference:
a whitepaper", 2018):

1. Cross-layer equalisation (Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias Correction",
   ICCV 2019, section 4.1): every depthwise 3x3 conv of BlazeFace (no bias, no activation after it) feeds exactly one
   1x1 conv. Scaling depthwise output channel c by 1/s_c and the 1x1 conv's input channel c by s_c leaves the
   network's function unchanged (up to float rounding); with s_c = sqrt(r1_c / r2_c), r1_c = max|W_dw[c]|,
   r2_c = max_o |W_pw[o, c]|, both weight ranges become sqrt(r1_c r2_c).
2. Calibration: the equalised float model, with every activation that may be quantised as an extra output, is run by
   onnxruntime-node on synthetic group pictures of CelebA-HQ **train** heads (never a test split or the shared
   sample photos); an activation's range is the [100 - p, p] percentile of all its values (p = --percentile),
   widened to include 0.
3. QDQ graph (opset 13) for the convs whose output stride is at most --max-stride (default 4: the input conv and the
   15 blocks on 24 channels, 78% of the multiply-adds) and the Adds, pools and pads between them: activations
   uint8 (asymmetric, per tensor), weights int8 symmetric per output channel, biases int32 with scale = input scale x
   weight scale. The rest (stride 8 and 16, and the heads) stays float: quantising the stride-16 blocks was measured
   to wreck the scores (models/blazeface/README.md).
   --weight-bits 7 (default) keeps the 1x1 and input convs' weights within [-63, 63]: onnxruntime's u8 x s8 matrix
   kernel for x86 CPUs without VNNI (AVX2 vpmaddubsw) adds two products in int16 and saturates for 8-bit weights
   (onnxruntime issue #12088; its Python quantiser's reduce_range does the same). The depthwise kernel adds in int32,
   so --depthwise-bits 8. One file then gives the same results on every x86 CPU.

Prints the sha256 of the result; --keep DIR keeps the equalised probe and the ranges, --ranges reuses ranges.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "models/blazeface/face_detection_back_dynamic.onnx"
DST = ROOT / "models/blazeface/face_detection_back_dynamic_int8.onnx"


def attr(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def equalise(m: onnx.ModelProto) -> int:
    """Cross-layer equalisation of each depthwise conv and the 1x1 conv after it, in place; returns the pair count."""
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    pairs = 0
    for n in g.node:
        if n.op_type != "Conv":
            continue
        w1 = numpy_helper.to_array(inits[n.input[1]])
        if attr(n, "group", 1) != w1.shape[0] or w1.shape[1] != 1:
            continue  # not depthwise
        nxt = consumers.get(n.output[0], [])
        if len(nxt) != 1 or nxt[0].op_type != "Conv" or attr(nxt[0], "group", 1) != 1:
            continue
        w2 = numpy_helper.to_array(inits[nxt[0].input[1]])
        if w2.shape[2:] != (1, 1) or w2.shape[1] != w1.shape[0]:
            continue
        r1 = np.abs(w1).reshape(w1.shape[0], -1).max(axis=1).astype(np.float64)
        r2 = np.abs(w2).transpose(1, 0, 2, 3).reshape(w2.shape[1], -1).max(axis=1).astype(np.float64)
        s = np.where((r1 > 0) & (r2 > 0), np.sqrt(r1 / np.maximum(r2, 1e-30)), 1.0)
        w1n = (w1 / s[:, None, None, None]).astype(np.float32)
        w2n = (w2 * s[None, :, None, None]).astype(np.float32)
        inits[n.input[1]].CopyFrom(numpy_helper.from_array(w1n, n.input[1]))
        inits[nxt[0].input[1]].CopyFrom(numpy_helper.from_array(w2n, nxt[0].input[1]))
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]])
            inits[n.input[2]].CopyFrom(numpy_helper.from_array((b / s).astype(np.float32), n.input[2]))
        pairs += 1
    return pairs


def strides(m: onnx.ModelProto) -> dict[str, int]:
    """Each tensor's stride (input pixels per tensor pixel), through the convs' and pools' strides."""
    g = m.graph
    st = {g.input[0].name: 1}
    for n in g.node:
        s = max([st.get(x, 1) for x in n.input] or [1])
        if n.op_type in ("Conv", "MaxPool"):
            s *= (attr(n, "strides", [1, 1]) or [1])[0]
        for o in n.output:
            st[o] = s
    return st


def plan(m: onnx.ModelProto, max_stride: int = 64, float_first: bool = False):
    """Which convs are quantised (output stride <= max_stride, not a head), which stay float, and which activation
    tensors get a QuantizeLinear/DequantizeLinear pair (the inputs and outputs of the quantised nodes)."""
    g = m.graph
    outputs = {o.name for o in g.output}
    st = strides(m)
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)

    def leads_to_output(t: str) -> bool:
        # A head: conv -> Transpose -> Reshape -> graph output.
        seen = [t]
        while seen:
            x = seen.pop()
            if x in outputs:
                return True
            for c in consumers.get(x, []):
                if c.op_type in ("Transpose", "Reshape"):
                    seen.extend(c.output)
        return False

    first = next(n for n in g.node if n.op_type == "Conv")

    def quantised(n: onnx.NodeProto) -> bool:
        if float_first and n is first:
            return False
        return st[n.output[0]] <= max_stride and not (n.op_type == "Conv" and leads_to_output(n.output[0]))

    convs = [n for n in g.node if n.op_type == "Conv" and quantised(n)]
    floats = [n for n in g.node if n.op_type == "Conv" and not quantised(n)]
    tensors: list[str] = []

    def add(t: str):
        if t not in tensors:
            tensors.append(t)

    def add_out(t: str):
        # X -> Relu: quantise the Relu's output (zero point 0, so onnxruntime drops the Relu into X).
        nxt = consumers.get(t, [])
        add(nxt[0].output[0] if len(nxt) == 1 and nxt[0].op_type == "Relu" else t)

    for n in g.node:
        if n.op_type in ("Conv", "Add", "MaxPool", "Pad") and quantised(n):
            for x in n.input[:1] if n.op_type in ("Conv", "MaxPool", "Pad") else n.input:
                add(x)
            add_out(n.output[0])
    return convs, floats, tensors


def probe_model(m: onnx.ModelProto, tensors: list[str]) -> onnx.ModelProto:
    p = onnx.ModelProto()
    p.CopyFrom(m)
    for t in tensors:
        p.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    return p


def act_params(lo: float, hi: float) -> tuple[float, int]:
    """uint8 asymmetric scale and zero point for [lo, hi] (widened to include 0)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return float(scale), zp


def quantise(m: onnx.ModelProto, ranges: dict[str, list[float]], weight_bits: int, max_stride: int = 64,
             float_first: bool = False, depthwise_bits: int = 8) -> onnx.ModelProto:
    convs, _, tensors = plan(m, max_stride, float_first)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    params: dict[str, tuple[float, int]] = {t: act_params(*ranges[t]) for t in tensors}
    # The model's input is v / 127.5 - 1 for bytes v: its range is [-1, 1] whatever the calibration saw.
    first = next(n for n in g.node if n.op_type == "Transpose" and n.input[0] == g.input[0].name)
    params[first.output[0]] = act_params(-1.0, 1.0)
    # MaxPool and Pad do not change values: their output takes their input's scale (onnxruntime then runs them on
    # the uint8 tensor).
    for n in g.node:
        if n.op_type in ("MaxPool", "Pad") and n.output[0] in params:
            params[n.output[0]] = params[n.input[0]]
    new_inits: list[onnx.TensorProto] = []
    qnodes: list[onnx.NodeProto] = []
    renamed: dict[str, str] = {}
    for t in tensors:
        s, zp = params[t]
        sn, zn = f"{t}__scale", f"{t}__zp"
        new_inits += [numpy_helper.from_array(np.array(s, np.float32), sn), numpy_helper.from_array(np.array(zp, np.uint8), zn)]
        q, dq = f"{t}__q", f"{t}__dq"
        qnodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [q], name=f"{t}__Q"))
        qnodes.append(helper.make_node("DequantizeLinear", [q, sn, zn], [dq], name=f"{t}__DQ"))
        renamed[t] = dq
    wnodes: list[onnx.NodeProto] = []

    def dequantized(n: onnx.NodeProto, k: int, q: np.ndarray, scale: np.ndarray) -> None:
        """Replace input k of node n (a constant) by a per-output-channel DequantizeLinear of `q` x `scale`
        (zero point 0, of q's integer type)."""
        name = n.input[k]
        new_inits.extend([
            numpy_helper.from_array(q, f"{name}__q"),
            numpy_helper.from_array(scale.astype(np.float32), f"{name}__scale"),
            numpy_helper.from_array(np.zeros(len(scale), q.dtype), f"{name}__zp"),
        ])
        wnodes.append(helper.make_node("DequantizeLinear", [f"{name}__q", f"{name}__scale", f"{name}__zp"], [f"{name}__dq"],
                                       name=f"{name}__DQ", axis=0))
        n.input[k] = f"{name}__dq"

    for n in convs:
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
        depthwise = attr(n, "group", 1) == w.shape[0] and w.shape[1] == 1
        qmax = 2 ** ((depthwise_bits if depthwise else weight_bits) - 1) - 1
        wmax = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
        ws = np.where(wmax > 0, wmax / qmax, 1.0)
        wq = np.clip(np.round(w / ws[:, None, None, None]), -qmax, qmax).astype(np.int8)
        dequantized(n, 1, wq, ws)
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            bs = params[n.input[0]][0] * ws  # bias scale = input scale x weight scale
            dequantized(n, 2, np.round(b / bs).astype(np.int32), bs)
    # Every consumer of a quantised tensor reads its dequantised copy (the QuantizeLinear reads the original).
    qnames = {q.name for q in qnodes}
    for n in g.node:
        if n.name in qnames:
            continue
        for i, x in enumerate(n.input):
            if x in renamed:
                n.input[i] = renamed[x]
    # Topological order: put each Q/DQ pair right after the producer of its tensor (the graph input first).
    producer_of = {o: idx for idx, n in enumerate(g.node) for o in n.output}
    after: dict[int, list[onnx.NodeProto]] = {}
    for k in range(0, len(qnodes), 2):
        t = qnodes[k].input[0]
        after.setdefault(producer_of.get(t, -1), []).extend(qnodes[k : k + 2])
    nodes = list(wnodes) + after.get(-1, [])
    for idx, n in enumerate(g.node):
        nodes.append(n)
        nodes.extend(after.get(idx, []))
    del g.node[:]
    g.node.extend(nodes)
    used = {x for n in g.node for x in n.input}
    keep = [t for t in g.initializer if t.name in used] + [t for t in new_inits if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 13
    m.producer_name = "facetally scripts/blazeface-int8.py"
    onnx.checker.check_model(m)
    return m


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", type=Path, default=SRC)
    ap.add_argument("--dst", type=Path, default=DST)
    ap.add_argument("--weight-bits", type=int, default=7, choices=[7, 8])
    ap.add_argument("--percentile", type=float, default=99.99)
    ap.add_argument("--images", type=int, default=64, help="calibration pictures (CelebA-HQ train heads)")
    ap.add_argument("--max-stride", type=int, default=4, help="quantise only the convs whose output stride is at most this")
    ap.add_argument("--depthwise-bits", type=int, default=8, choices=[7, 8],
                    help="weight bits of the depthwise convs (onnxruntime's depthwise kernel adds in int32: no saturation)")
    ap.add_argument("--float-first", action="store_true", help="keep the first (5x5, RGB input) conv float")
    ap.add_argument("--no-equalise", action="store_true", help="skip cross-layer equalisation (for comparison)")
    ap.add_argument("--ranges", type=Path, help="reuse a calibration JSON instead of running one")
    ap.add_argument("--keep", type=Path, help="keep the equalised, probe and ranges files in this folder")
    a = ap.parse_args()

    m = onnx.load(str(a.src))
    pairs = 0 if a.no_equalise else equalise(m)
    convs, floats, tensors = plan(m, a.max_stride, a.float_first)
    print(f"{pairs} depthwise/1x1 pairs equalised; {len(convs)} convs quantised, {len(floats)} float; "
          f"{len(tensors)} activations quantised")
    _, _, all_tensors = plan(m)
    work = a.keep or Path(tempfile.mkdtemp(prefix="facetally-int8-"))
    work.mkdir(parents=True, exist_ok=True)
    ranges_path = a.ranges or work / "ranges.json"
    if not a.ranges:
        probe = work / "probe.onnx"
        onnx.save(probe_model(m, all_tensors), str(probe))
        cmd = ["npx", "tsx", str(ROOT / "scripts/blazeface-calibrate.ts"), "--model", str(probe), "--out", str(ranges_path),
               "--images", str(a.images), "--percentiles", f"99.9,99.99,99.999,100,{a.percentile:g}"]
        print(" ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT)
    cal = json.loads(ranges_path.read_text())
    ranges = cal["percentiles"][f"{a.percentile:g}"]
    q = quantise(m, ranges, a.weight_bits, a.max_stride, a.float_first, a.depthwise_bits)
    a.dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(q, str(a.dst))
    print(f"source {a.src.name} sha256 {sha(a.src)}\nwrote  {a.dst} sha256 {sha(a.dst)} "
          f"(weights {a.weight_bits}-bit, activations uint8, percentile {a.percentile:g}, {cal['images']} calibration pictures)")


if __name__ == "__main__":
    sys.exit(main())
