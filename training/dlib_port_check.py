"""Run the PyTorch port of dlib's face-recognition ResNet on the port-test fixture; print JSON.

    /usr/bin/python3 training/dlib_port_check.py [FIXTURE_DIR] [ONNX_OUT]   (default test/fixtures/dlib-port)

Reads FIXTURE_DIR/reference.json's ``crops`` (150x150 RGB PNGs), loads the weights from
node_modules (``load_face_api_weights``), and prints one JSON line: ``descriptors`` ([n][128], to be
compared with reference.json's face-api descriptors by test/training/dlib-port.test.ts), ``max_abs_diff``
against them, and for non-square inputs (the first crop resized to 136x112 and 183x150 by PIL,
bilinear) the output shapes of ``features`` and ``forward``; and ``recalibration``: how far the
eval-mode features move under ``recalibrate_batchnorm`` on the crops (should be float rounding) and the
relative difference of train-mode (batch statistics) vs eval-mode features on the same crops before
and after it (large before; ~0 after, since the crops are the calibration batch). With ONNX_OUT, also
exports the model (as loaded, before recalibration; opset 17, input ``input`` [N, 3, H, W] with dynamic
N, H, W, output ``descriptor``) and adds ``onnx``: its path and the PyTorch descriptor of the first crop
resized to 136x112 (``onnx_input_136x112``, the float32 input, flattened NCHW), to be run through ONNX
Runtime by the test. ``missing_weights_error``: the message ``load_face_api_weights`` raises for a
folder without the weights. Exit 1 on a missing file.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dlib_resnet import REPO_ROOT, DlibResNet, load_face_api_weights, recalibrate_batchnorm  # noqa: E402


def to_batch(images: list[Image.Image]) -> torch.Tensor:
    """PIL RGB images of one size -> float32 [N, 3, H, W] in 0..255."""
    x = np.stack([np.asarray(im.convert("RGB"), dtype=np.float32) for im in images])
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


@torch.no_grad()
def train_mode_features(model: DlibResNet, x: torch.Tensor) -> torch.Tensor:
    """``features`` with BatchNorm in train mode (batch statistics), leaving the running stats as they were."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    saved = [(bn.momentum, bn.running_mean.clone(), bn.running_var.clone(), bn.num_batches_tracked.clone()) for bn in bns]
    model.train()
    try:
        return model.features(x)
    finally:
        model.eval()
        for bn, (mom, mean, var, nbt) in zip(bns, saved):
            bn.momentum = mom
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.num_batches_tracked.copy_(nbt)


def check_recalibration(model: DlibResNet, x: torch.Tensor) -> dict[str, float]:
    """Recalibrate ``model``'s BatchNorm statistics on ``x`` (in place) and report what changed."""
    rel = lambda a, b: float((a - b).norm() / b.norm())  # noqa: E731
    with torch.no_grad():
        eval_before = model.features(x)
    train_before = train_mode_features(model, x)
    recalibrate_batchnorm(model, [x])
    with torch.no_grad():
        eval_after = model.features(x)
    train_after = train_mode_features(model, x)
    return {
        "eval_max_abs_change": float((eval_after - eval_before).abs().max()),
        "eval_max_abs": float(eval_before.abs().max()),
        "train_vs_eval_rel_before": rel(train_before, eval_before),
        "train_vs_eval_rel_after": rel(train_after, eval_after),
    }


def main() -> int:
    warnings.filterwarnings("ignore")  # torch.onnx's TracerWarnings on shape arithmetic (exported as graph ops)
    fixture = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "test" / "fixtures" / "dlib-port"
    torch.set_num_threads(1)
    try:
        ref = json.loads((fixture / "reference.json").read_text())
        model = DlibResNet()
        load_face_api_weights(model)
    except FileNotFoundError as e:
        print(f"dlib_port_check: {e}", file=sys.stderr)
        return 1
    model.eval()
    images = [Image.open(fixture / name) for name in ref["crops"]]
    with torch.no_grad():
        descriptors = model(to_batch(images)).numpy()
        nonsquare = {}
        for h, w in ((136, 112), (183, 150)):
            x = to_batch([images[0].convert("RGB").resize((w, h), Image.BILINEAR)])
            nonsquare[f"{h}x{w}"] = {
                "features": list(model.features(x).shape),
                "descriptor": list(model(x).shape),
                "finite": bool(torch.isfinite(model(x)).all()),
            }
    onnx_info = None
    if len(sys.argv) > 2:
        x = to_batch([images[0].convert("RGB").resize((112, 136), Image.BILINEAR)])
        with torch.no_grad():
            y = model(x)
        torch.onnx.export(
            model, torch.rand(2, 3, 150, 150) * 255, sys.argv[2], opset_version=17,
            input_names=["input"], output_names=["descriptor"],
            dynamic_axes={"input": {0: "n", 2: "h", 3: "w"}, "descriptor": {0: "n"}},
        )
        onnx_info = {"path": sys.argv[2], "input_136x112": x.flatten().tolist(), "descriptor_136x112": y.flatten().tolist()}
    recalibration = check_recalibration(model, to_batch(images))
    try:
        load_face_api_weights(DlibResNet(), fixture / "no-such-dir")
        missing_weights_error = None
    except FileNotFoundError as e:
        missing_weights_error = f"FileNotFoundError: {e}"
    reference = np.asarray(ref["descriptors"], dtype=np.float32)
    print(json.dumps({
        "descriptors": descriptors.astype(float).tolist(),
        "max_abs_diff": float(np.abs(descriptors - reference).max()),
        "nonsquare": nonsquare,
        "recalibration": recalibration,
        "onnx": onnx_info,
        "missing_weights_error": missing_weights_error,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
