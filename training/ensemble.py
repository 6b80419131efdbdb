"""Average the probabilities of several exported attribute models inside one ONNX graph, with the mixing weight,
thresholds and metrics chosen on validation only (issue 18: the from-scratch net and the fine-tuned dlib ResNet
err differently, and their mean beats either).

Each member is an exported model folder (attributes.onnx with the in-graph preprocessing: uint8 [N, 218, 178, 3]
`crops` in, `probabilities` [N, 40] out, plus attributes.json) and a folder of its probabilities on the crops
(`names.json` + `probs.f32`, written by `train.py --teacher-out` or `scripts/predict-crops.ts`). The merged graph
feeds the same `crops` to every member and outputs sum_k w_k p_k. Large float32 weights are stored as float16 with
a Cast back to float32 in front (onnxruntime folds the Cast when it loads the model), which halves the file; the
effect on every validation probability is measured and printed.

Usage:
  /usr/bin/python3 training/ensemble.py \\
      --member models/celeba-attributes-v3:work-data/teachers/v3 \\
      --member work-data/v4-dlib/model:work-data/v4-dlib/teacher \\
      --data celeba=work-data/crops/celeba --data celeba-hq=work-data/crops/celeba-hq --out work-data/v4-ensemble
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import DEFAULT_SHARED, load_split, parse_spec  # noqa: E402
import train as T  # noqa: E402

INPUT = "crops"
OUTPUT = "probabilities"


def tta_summary(ttas: list[str | None]) -> str | None:
    """The members' test-time augmentation in one phrase: the common value when all agree (None: none), else
    'member 1: ...; member 2: none'."""
    if all(t == ttas[0] for t in ttas):
        return ttas[0]
    return "; ".join(f"member {k + 1}: {t or 'none'}" for k, t in enumerate(ttas))


def prefixed(model, prefix: str):
    """Copy of an ONNX ModelProto's graph parts with every name except the shared input prefixed."""
    g = copy.deepcopy(model.graph)
    ren = lambda n: n if (n == INPUT or n == "") else prefix + n  # noqa: E731
    for node in g.node:
        node.name = prefix + (node.name or node.op_type)
        for i, v in enumerate(node.input):
            node.input[i] = ren(v)
        for i, v in enumerate(node.output):
            node.output[i] = ren(v)
        if any(a.type in (5, 10) for a in node.attribute):  # GRAPH / GRAPHS attributes
            raise SystemExit(f"{prefix}: node {node.name} has a subgraph; merging such graphs is not supported")
    for init in g.initializer:
        init.name = ren(init.name)
    for vi in g.value_info:
        vi.name = ren(vi.name)
    return g


def store_half(graph, min_elements: int = 4096) -> int:
    """Store float32 initializers with at least `min_elements` values as float16 + Cast(to float). Returns bytes saved."""
    from onnx import TensorProto, helper, numpy_helper

    saved = 0
    casts = []
    keep = []
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elements:
            arr = numpy_helper.to_array(init)
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
            keep.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], name=init.name + "__cast", to=TensorProto.FLOAT))
            saved += arr.size * 2
        else:
            keep.append(init)
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return saved


def merge(paths: list[Path], weights: list[float], half: bool):
    """One ModelProto: every member on the shared `crops` input, output sum_k w_k p_k."""
    import onnx
    from onnx import TensorProto, helper

    models = [onnx.load(str(p)) for p in paths]
    opset = max(next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) for m in models)
    nodes, inits, vis = [], [], []
    terms = []
    for k, (m, w) in enumerate(zip(models, weights)):
        if [i.name for i in m.graph.input] != [INPUT] or [o.name for o in m.graph.output] != [OUTPUT]:
            raise SystemExit(f"{paths[k]}: expected one input '{INPUT}' and one output '{OUTPUT}'")
        g = prefixed(m, f"m{k}_")
        nodes += list(g.node)
        inits += list(g.initializer)
        vis += list(g.value_info)
        wname = f"m{k}_ensemble_weight"
        inits.append(helper.make_tensor(wname, TensorProto.FLOAT, [], [float(w)]))
        nodes.append(helper.make_node("Mul", [f"m{k}_{OUTPUT}", wname], [f"m{k}_weighted"], name=f"m{k}_weighting"))
        terms.append(f"m{k}_weighted")
    nodes.append(helper.make_node("Sum", terms, [OUTPUT], name="ensemble_mean"))
    graph = helper.make_graph(nodes, "facetally_attribute_ensemble", [models[0].graph.input[0]],
                              [models[0].graph.output[0]], initializer=inits, value_info=vis)
    saved = store_half(graph) if half else 0
    merged = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="facetally training/ensemble.py")
    merged.ir_version = min(m.ir_version for m in models)
    onnx.checker.check_model(merged)
    return merged, saved


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--member", action="append", required=True, help="MODEL_DIR:PROBS_DIR (repeatable, 2 or more)")
    p.add_argument("--data", action="append", required=True, help="as train.py: NAME=CROP_DIR")
    p.add_argument("--shared-data", type=Path, default=DEFAULT_SHARED)
    p.add_argument("--cache-dir", type=Path, default=T.REPO_ROOT / "work-data" / "cache")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--weights", default="auto", help="comma-separated member weights, or auto (grid on validation)")
    p.add_argument("--no-half", action="store_true", help="keep float32 weights (default: float16 storage)")
    p.add_argument("--balance-weight", default="auto", help="as train.py")
    p.add_argument("--teacher-out", type=Path, default=None, help="write the ensemble's probabilities on all crops here")
    args = p.parse_args(argv)
    t0 = time.time()
    members = [tuple(Path(x) for x in m.split(":", 1)) for m in args.member]
    if len(members) < 2:
        raise SystemExit("give at least two --member")
    specs = [parse_spec(d, args.shared_data) for d in args.data]
    region = (0.0, 0.0, 178.0, 218.0)
    # Only labels and names are needed; the smallest cached image size keeps this cheap.
    val = load_split(specs, "val", region, (64, 80), args.cache_dir, dedupe=True, log=T.log)
    test = load_split(specs, "test", region, (64, 80), args.cache_dir, dedupe=True, log=T.log)
    attributes = val.attributes
    sidecars = [json.loads((m / "attributes.json").read_text()) for m, _ in members]
    for s in sidecars:
        if s["attributes"] != attributes:
            raise SystemExit("members' attribute orders differ")
    teachers = [T.read_teacher(d, attributes) for _, d in members]
    vps = [T.teacher_rows(t, val.names, str(d)).astype(np.float64) for t, (_, d) in zip(teachers, members)]
    tps = ([T.teacher_rows(t, test.names, str(d)).astype(np.float64) for t, (_, d) in zip(teachers, members)]
           if len(test.names) else None)
    for (m, _), vp in zip(members, vps):
        e = T.evaluate(vp, val.labels, attributes)
        T.log(f"[member] {m}: validation mean acc {100 * e['mean_accuracy']:.2f} balanced {100 * e['mean_balanced_accuracy']:.2f}")

    # ---- mixing weights on validation (accuracy-optimal thresholds per attribute)
    if args.weights == "auto":
        if len(members) != 2:
            raise SystemExit("--weights auto searches a grid for two members; give --weights for more")
        grid = []
        for w0 in np.round(np.arange(0.2, 0.81, 0.05), 2):
            e = T.evaluate(w0 * vps[0] + (1 - w0) * vps[1], val.labels, attributes)
            grid.append((e["mean_accuracy"], float(w0)))
            T.log(f"[weights] w = ({w0:.2f}, {1 - w0:.2f}): validation mean acc {100 * e['mean_accuracy']:.3f}")
        best = max(grid)[1]
        weights = [best, 1 - best]
    else:
        weights = [float(x) for x in args.weights.split(",")]
        s = sum(weights)
        weights = [w / s for w in weights]
    vp = sum(w * x for w, x in zip(weights, vps))
    tp = sum(w * x for w, x in zip(weights, tps)) if tps is not None else None
    T.log(f"[weights] chosen {weights}")

    # ---- thresholds: the same rule as train.py
    by_w = {w_: T.evaluate(vp, val.labels, attributes, balance_weight=w_) for w_ in T.BALANCE_WEIGHTS}
    if args.balance_weight == "auto":
        ok = [w_ for w_ in T.BALANCE_WEIGHTS if by_w[w_]["mean_accuracy"] >= by_w[0.0]["mean_accuracy"] - T.AUTO_ACC_TOLERANCE]
        bw = max(ok)
    else:
        bw = float(args.balance_weight)
    ev = by_w[bw] if bw in by_w else T.evaluate(vp, val.labels, attributes, balance_weight=bw)
    eces = [T.ece(vp[:, j], val.labels[:, j]) for j in range(len(attributes))]
    for j, a in enumerate(attributes):
        ev["per_attribute"][a]["ece"] = round(eces[j], 6)
    T.print_table(ev, attributes, f"VALIDATION, ensemble (W = {bw:g}; thresholds chosen here)")
    tev = None
    if tp is not None:
        tev = T.evaluate(tp, test.labels, attributes, ev["thresholds"])
        T.print_table(tev, attributes, "TEST (validation thresholds; not used for any choice)")
    T.log(f"[calibration] mean ECE of the mixture on validation {100 * np.mean(eces):.2f}%")
    per_ds = {}
    for di, dname in enumerate(val.datasets):
        m = val.dataset == di
        if m.any():
            e = T.evaluate(vp[m], val.labels[m], attributes, ev["thresholds"])
            per_ds[dname] = {k: e[k] for k in ("n", "mean_accuracy", "mean_balanced_accuracy", "mean_baseline", "beats_baseline")}
            T.log(f"[val] {dname}: n={e['n']} mean acc {100 * e['mean_accuracy']:.2f} bal {100 * e['mean_balanced_accuracy']:.2f}")

    # ---- graph
    args.out.mkdir(parents=True, exist_ok=True)
    merged, saved = merge([m / s["model"] for (m, _), s in zip(members, sidecars)], weights, not args.no_half)
    import onnx

    onnx_path = args.out / "attributes.onnx"
    onnx.save(merged, str(onnx_path))
    T.log(f"[export] {onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB; float16 storage saved {saved / 1e6:.2f} MB)")

    base = sidecars[0]
    sidecar = {
        "format": base["format"],
        "model": onnx_path.name,
        "attributes": attributes,
        # input.network: one entry per member network (each its own input size and normalisation; informational).
        "input": {**base["input"], "network": [
            {**net, "mean": s["input"]["mean"], "std": s["input"]["std"]}
            for s in sidecars
            for net in (s["input"]["network"] if isinstance(s["input"].get("network"), list) else [s["input"].get("network") or {}])
        ]},
        "output": base.get("output", "probabilities"),
        "thresholds": ev["thresholds"],
        "validation": {
            "split": "val", "n": ev["n"], "mean_accuracy": ev["mean_accuracy"],
            "mean_balanced_accuracy": ev["mean_balanced_accuracy"], "mean_baseline": ev["mean_baseline"],
            "per_attribute": ev["per_attribute"],
        },
        "ensemble": {
            "rule": "weighted mean of the members' calibrated probabilities, inside the ONNX graph",
            "weights": [round(w, 4) for w in weights],
            "weights_chosen_on": "validation mean accuracy (accuracy-optimal thresholds), grid 0.20..0.80 step 0.05" if args.weights == "auto" else "given",
            "float16_storage": not args.no_half,
            "members": [
                {"model": str(m), "architecture": s.get("training", {}).get("architecture"),
                 "network": s.get("input", {}).get("network"),
                 "validation_mean_accuracy": T.evaluate(v, val.labels, attributes)["mean_accuracy"],
                 "training": s.get("training")}
                for (m, _), s, v in zip(members, sidecars, vps)
            ],
        },
        "training": {
            "name": "celeba-attributes",
            "terms": T.TERMS,
            "command": "training/ensemble.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "architecture": " + ".join(str(s.get("training", {}).get("architecture")) for s in sidecars),
            "data": {**sidecars[0].get("training", {}).get("data", {}),
                     "val": {**sidecars[0].get("training", {}).get("data", {}).get("val", {}), "per_dataset": per_ds}},
            "test_time_augmentation": tta_summary([s.get("training", {}).get("test_time_augmentation") for s in sidecars]),
            "decision_rule": "attribute present iff the weighted mean probability >= threshold",
            "onnx_bytes": onnx_path.stat().st_size,
            "threshold_rule": f"per attribute, maximise validation accuracy + {bw:g} x balanced accuracy; ties -> closest to 0.5",
            "calibration": {"method": "each member temperature-scaled on validation; the mixture is not rescaled",
                            "mean_ece_after": round(float(np.mean(eces)), 6), "ece_bins": 10},
            "noisy_labels": T.NOISY,
            "test": None if tev is None else (
                {k: tev[k] for k in ("n", "mean_accuracy", "mean_balanced_accuracy", "mean_baseline", "beats_baseline")}
                | {"per_attribute": {a: {k: tev["per_attribute"][a][k] for k in ("accuracy", "balanced_accuracy", "baseline")}
                                     for a in attributes}}),
            "seconds": round(time.time() - t0, 1),
        },
    }
    (args.out / "attributes.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    if args.teacher_out is not None:
        train_split = load_split(specs, "train", region, (64, 80), args.cache_dir, dedupe=False, log=T.log)
        names = train_split.names + val.names + test.names
        allp = sum(w * T.teacher_rows(t, names, str(d)).astype(np.float64) for w, t, (_, d) in zip(weights, teachers, members))
        args.teacher_out.mkdir(parents=True, exist_ok=True)
        allp.astype("<f4").tofile(args.teacher_out / "probs.f32")
        (args.teacher_out / "names.json").write_text(json.dumps({"model": str(args.out), "attributes": attributes, "names": names}))
        T.log(f"[teacher] ensemble probabilities on {len(names)} crops -> {args.teacher_out}")
    T.log(f"[done] val mean acc {100 * ev['mean_accuracy']:.2f} balanced {100 * ev['mean_balanced_accuracy']:.2f}"
          + (f"; test {100 * tev['mean_accuracy']:.2f} / {100 * tev['mean_balanced_accuracy']:.2f}" if tev else ""))
    return sidecar


if __name__ == "__main__":
    main()
