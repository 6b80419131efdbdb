"""Smoke test of the training pipeline: a few steps on a handful of crops -> ONNX -> sidecar -> card.

  /usr/bin/python3 training/smoke_test.py OUT_DIR

Fake crops: official CelebA aligned images (already 178x218 in the canonical frame) from the shared
data, written as PNG crops with a `crops.jsonl` manifest in OUT_DIR/crops. Writes
OUT_DIR/model/{attributes.onnx, attributes.json, MODEL_CARD.md}. Runs in well under a minute.
The last line printed is a JSON object with the paths.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import DEFAULT_SHARED, make_fake_crops  # noqa: E402


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: smoke_test.py OUT_DIR")
    t0 = time.time()
    out = Path(sys.argv[1]).resolve()
    shared = DEFAULT_SHARED
    crops = out / "crops"
    manifest = make_fake_crops(crops, {"train": 24, "val": 12}, shared)
    import train
    import model_card

    model_dir = out / "model"
    sidecar, net = train.main([
        "--data", f"celeba={manifest}", "--shared-data", str(shared), "--out", str(model_dir),
        "--cache-dir", str(out / "cache"), "--max-steps", "3", "--batch-size", "8", "--threads", "2",
        "--workers", "1", "--epochs", "1", "--name", "smoke-test", "--flip-tta",
        "--save-state", str(out / "state"),
    ], return_net=True)
    # Reference output of the PyTorch model on a fixed input, for an ONNX parity check.
    import torch

    h, w = sidecar["input"]["height"], sidecar["input"]["width"]
    x = torch.sin(torch.arange(2 * 3 * h * w, dtype=torch.float32) * 0.37).mul(1.5).view(2, 3, h, w)
    with torch.no_grad():
        ref = torch.sigmoid(net.eval()(x)).numpy()
    (model_dir / "reference.json").write_text(json.dumps({"probabilities": [float(v) for v in ref.ravel()]}))
    model_card.write_card(model_dir / "attributes.json", model_dir / "MODEL_CARD.md")
    print(json.dumps({
        "onnx": str(model_dir / "attributes.onnx"),
        "sidecar": str(model_dir / "attributes.json"),
        "card": str(model_dir / "MODEL_CARD.md"),
        "reference": str(model_dir / "reference.json"),
        "seconds": round(time.time() - t0, 1),
    }), flush=True)


if __name__ == "__main__":
    main()
