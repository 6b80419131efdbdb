"""Smoke test of the training pipeline: a few steps on a handful of crops -> ONNX -> sidecar -> card.

  /usr/bin/python3 training/smoke_test.py OUT_DIR          # the from-scratch net
  /usr/bin/python3 training/smoke_test.py OUT_DIR --v4     # then issue 18's parts, on the same crops

Fake crops: official CelebA aligned images (already 178x218 in the canonical frame) from the shared
data, written as PNG crops with a `crops.jsonl` manifest in OUT_DIR/crops. Writes
OUT_DIR/model/{attributes.onnx, attributes.json, MODEL_CARD.md}. Runs in well under a minute.
With --v4: the pretrained dlib member (2 steps; weights from node_modules/@vladmandic/face-api), re-exported from
its saved weights with `--init-state --epochs 0` (with and without mirror averaging), a student
distilled from two teachers, and their ensemble graph (training/ensemble.py), in OUT_DIR/{dlib,student,ensemble}.
The last line printed is a JSON object with the paths.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import DEFAULT_SHARED, make_fake_crops  # noqa: E402


def v4_stage(out: Path, manifest: Path, model_dir: Path, shared: Path, t0: float) -> None:
    """Issue 18's pipeline on the base stage's fake crops: the pretrained dlib member (a few steps at 112x136),
    a student distilled from two teachers, and the two-member ensemble graph (training/ensemble.py)."""
    import train

    if not (out / "own-teacher" / "probs.f32").exists():
        raise SystemExit(f"run `smoke_test.py {out}` first: the v4 stage reuses its crops, model and teacher output")
    common = ["--data", f"celeba={manifest}", "--shared-data", str(shared), "--cache-dir", str(out / "cache"),
              "--max-steps", "2", "--batch-size", "8", "--threads", "2", "--workers", "1", "--epochs", "1", "--flip-tta"]
    dlib_dir = out / "dlib"
    dlib_sidecar = train.main(common + [
        "--arch", "dlib", "--width", "112", "--height", "136", "--name", "smoke-dlib", "--out", str(dlib_dir / "model"),
        "--save-state", str(dlib_dir / "state"), "--teacher-out", str(dlib_dir / "teacher")])
    # --init-state with --epochs 0 re-exports trained weights without training: with the same options it must
    # reproduce the run's own validation probabilities; without --flip-tta it exports the bare network.
    import numpy as np

    base = [a for a in common if a not in ("--flip-tta",)]
    base[base.index("--epochs") + 1] = "0"
    reexport = {}
    for tag, extra in (("same", ["--flip-tta"]), ("flat", [])):
        train.main(base + extra + [
            "--arch", "dlib", "--width", "112", "--height", "136", "--name", f"smoke-dlib-{tag}",
            "--init-state", str(dlib_dir / "state" / "final_state.pt"), "--out", str(dlib_dir / f"model-{tag}"),
            "--save-state", str(dlib_dir / f"state-{tag}")])
        reexport[tag] = np.load(dlib_dir / f"state-{tag}" / "predictions.npz")["val_probs"]
    trained = np.load(dlib_dir / "state" / "predictions.npz")["val_probs"]
    student_dir = out / "student"
    student_sidecar = train.main(common + [
        "--teacher", f"{dlib_dir / 'teacher'}:1", "--teacher", f"{out / 'own-teacher'}:1", "--distill-alpha", "0.7",
        "--name", "smoke-student", "--out", str(student_dir / "model"), "--save-state", str(student_dir / "state")])
    import ensemble

    ens_sidecar = ensemble.main(["--member", f"{model_dir}:{out / 'own-teacher'}", "--member", f"{dlib_dir / 'model'}:{dlib_dir / 'teacher'}",
                                 "--data", f"celeba={manifest}", "--shared-data", str(shared), "--cache-dir", str(out / "cache"),
                                 "--weights", "0.4,0.6", "--out", str(out / "ensemble")])
    print(json.dumps({
        "dlib_onnx": str(dlib_dir / "model" / "attributes.onnx"),
        "dlib_architecture": dlib_sidecar["training"]["architecture"],
        "reexport_same_max_diff": float(np.abs(reexport["same"] - trained).max()),
        "reexport_flat_max_diff": float(np.abs(reexport["flat"] - trained).max()),
        "reexport_flat_tta": json.loads((dlib_dir / "model-flat" / "attributes.json").read_text())["training"]["test_time_augmentation"],
        "student_distillation": student_sidecar["training"]["distillation"],
        "ensemble_onnx": str(out / "ensemble" / "attributes.onnx"),
        "ensemble_sidecar": str(out / "ensemble" / "attributes.json"),
        "ensemble_weights": ens_sidecar["ensemble"]["weights"],
        "seconds": round(time.time() - t0, 1),
    }), flush=True)


def main() -> None:
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--v4"):
        raise SystemExit("usage: smoke_test.py OUT_DIR [--v4]")
    t0 = time.time()
    out = Path(sys.argv[1]).resolve()
    shared = DEFAULT_SHARED
    crops = out / "crops"
    import train
    import model_card

    model_dir = out / "model"
    if len(sys.argv) == 3:
        return v4_stage(out, crops / "crops.jsonl", model_dir, shared, t0)
    manifest = make_fake_crops(crops, {"train": 24, "val": 12}, shared)
    sidecar, net = train.main([
        "--data", f"celeba={manifest}", "--shared-data", str(shared), "--out", str(model_dir),
        "--cache-dir", str(out / "cache"), "--max-steps", "3", "--batch-size", "8", "--threads", "2",
        "--workers", "1", "--epochs", "1", "--name", "smoke-test", "--flip-tta",
        "--save-state", str(out / "state"), "--teacher-out", str(out / "own-teacher"),
    ], return_net=True)
    # Reference output of the PyTorch model on a fixed uint8 crop batch, for an ONNX parity check: the
    # exported graph takes raw [N, 218, 178, 3] crops and resizes/normalises inside itself.
    import numpy as np
    import torch
    from PIL import Image
    from in_graph_preprocess import InGraphPreprocess

    inp = sidecar["input"]
    assert inp["dtype"] == "uint8" and inp["layout"] == "NHWC", inp
    net_in = inp["network"]
    r = net_in["region"]
    pre = InGraphPreprocess((int(r["x"]), int(r["y"]), int(r["width"]), int(r["height"])),
                            (net_in["width"], net_in["height"]), inp["mean"], inp["std"])
    h, w = inp["height"], inp["width"]
    i = torch.arange(2 * h * w * 3, dtype=torch.int64)
    x = ((i * 37 + (i // 128) * 11) % 256).to(torch.uint8).view(2, h, w, 3)  # same integers in the TS test
    with torch.no_grad():
        ref = torch.sigmoid(net.eval()(pre(x))).numpy()
    (model_dir / "reference.json").write_text(json.dumps({"probabilities": [float(v) for v in ref.ravel()]}))
    # The in-graph resize is PIL's: on a real crop it matches PIL's uint8 resize to within PIL's two roundings.
    crop = np.asarray(Image.open(sorted((crops).glob("*.png"))[0]).convert("RGB"))
    plain = InGraphPreprocess((0, 0, crop.shape[1], crop.shape[0]), (net_in["width"], net_in["height"]),
                              [0.0, 0.0, 0.0], [1 / 255] * 3)
    mine = plain(torch.from_numpy(crop[None].copy()))[0].permute(1, 2, 0).numpy()
    pil = np.asarray(Image.fromarray(crop).resize((net_in["width"], net_in["height"]), Image.BILINEAR), np.float32)
    pil_max_diff = float(np.abs(mine - pil).max())
    assert pil_max_diff <= 1.0, f"in-graph resize differs from PIL by {pil_max_diff} grey levels"
    model_card.write_card(model_dir / "attributes.json", model_dir / "MODEL_CARD.md")

    print(json.dumps({
        "onnx": str(model_dir / "attributes.onnx"),
        "sidecar": str(model_dir / "attributes.json"),
        "card": str(model_dir / "MODEL_CARD.md"),
        "reference": str(model_dir / "reference.json"),
        "pil_max_diff": pil_max_diff,
        "seconds": round(time.time() - t0, 1),
    }), flush=True)


if __name__ == "__main__":
    main()
