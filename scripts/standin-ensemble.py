#!/usr/bin/env python3
"""A stand-in for a larger attribute model, to test that the library, CLI, web app and `serve` cope with one.

Builds, in OUT_DIR (never in the repository: the result is a test artefact, not a model), an ONNX graph that holds
K copies of MODEL_DIR's attribute network side by side on the same input and averages their probabilities (ONNX
`Mean`), so it has the interface of the shipped model (uint8 "crops" [N, 218, 178, 3] in, "probabilities" [N, 40]
out) and K times its weights and multiply-adds. Each copy's weights are scaled by (1 + EPS * z), z ~ N(0, 1)
(seeded), so the copies are different networks that no graph optimiser can merge, and the averaged predictions
differ a little from the original's. With the shipped v3 (5.1 MB, about 80 M multiply-adds per face), K = 5 gives
about 25 MB and 400 M multiply-adds: the size limit of issue 18 and about the cost of a face-recognition ResNet at
150x183 plus our own network. The sidecar is MODEL_DIR's with `input.network` as a list (one entry per member, as
an ensemble's sidecar may write it) and an extra top-level field `ensemble`.

    /usr/bin/python3 scripts/standin-ensemble.py [--copies 5] [--eps 0.02] MODEL_DIR OUT_DIR

Needs python3-onnx (Debian). Prints the file size.
"""
import argparse
import copy
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper


def member(graph: onnx.GraphProto, k: int, eps: float, rng: np.random.Generator, input_name: str):
    """Nodes and initializers of copy k, every name prefixed, weights perturbed; returns (nodes, inits, output name)."""
    pre = f"m{k}_"
    ren = lambda n: n if n in ("", input_name) else pre + n  # noqa: E731
    inits = []
    for t in graph.initializer:
        a = numpy_helper.to_array(t)
        if a.dtype == np.float32 and a.size > 1:
            a = (a * (1 + eps * rng.standard_normal(a.shape))).astype(np.float32)
        inits.append(numpy_helper.from_array(a, ren(t.name)))
    nodes = []
    for n in graph.node:
        m = copy.deepcopy(n)
        m.name = pre + n.name if n.name else ""
        m.input[:] = [ren(i) for i in n.input]
        m.output[:] = [ren(o) for o in n.output]
        nodes.append(m)
    return nodes, inits, ren(graph.output[0].name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--eps", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    sc = json.loads((a.model_dir / "attributes.json").read_text())
    src = onnx.load(str(a.model_dir / sc["model"]))
    g = src.graph
    inp = g.input[0].name
    rng = np.random.default_rng(a.seed)
    nodes, inits, outs = [], [], []
    for k in range(a.copies):
        n, i, o = member(g, k, a.eps, rng, inp)
        nodes += n
        inits += i
        outs.append(o)
    out_name = g.output[0].name
    nodes.append(helper.make_node("Mean", outs, [out_name], name="ensemble_mean"))
    graph = helper.make_graph(nodes, "standin_ensemble", [g.input[0]], [g.output[0]], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="facetally standin-ensemble.py")
    model.ir_version = src.ir_version
    onnx.checker.check_model(model)
    a.out_dir.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(a.out_dir / sc["model"]))
    net = sc["input"].get("network")
    if net is not None:
        sc["input"]["network"] = [dict(net, name=f"copy {k}") for k in range(a.copies)]
    sc["ensemble"] = {"members": a.copies, "combination": "mean of probabilities", "note": "stand-in built by scripts/standin-ensemble.py; not a trained model"}
    sc.setdefault("training", {})["onnx_bytes"] = (a.out_dir / sc["model"]).stat().st_size
    (a.out_dir / "attributes.json").write_text(json.dumps(sc, indent=1))
    for extra in ("MODEL_CARD.md",):
        if (a.model_dir / extra).exists():
            shutil.copy(a.model_dir / extra, a.out_dir / extra)
    size = (a.out_dir / sc["model"]).stat().st_size
    print(f"wrote {a.out_dir / sc['model']}: {a.copies} copies, {size / 1e6:.1f} MB; sidecar with input.network as a list of {a.copies}", file=sys.stderr)


if __name__ == "__main__":
    main()
