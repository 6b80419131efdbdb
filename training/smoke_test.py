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
