"""Run the PyTorch port of dlib's face-recognition ResNet on the port-test fixture; print JSON.

    /usr/bin/python3 training/dlib_port_check.py [FIXTURE_DIR]   (default test/fixtures/dlib-port)

Reads FIXTURE_DIR/reference.json's ``crops`` (150x150 RGB PNGs), loads the weights from
node_modules (``load_face_api_weights``), and prints one JSON line: ``descriptors`` ([n][128], to be
compared with reference.json's face-api descriptors by test/training/dlib-port.test.ts), ``max_abs_diff``
against them, and for non-square inputs (the first crop resized to 136x112 and 183x150 by PIL,
bilinear) the output shapes of ``features`` and ``forward``. Exit 1 on a missing file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dlib_resnet import REPO_ROOT, DlibResNet, load_face_api_weights  # noqa: E402


def to_batch(images: list[Image.Image]) -> torch.Tensor:
    """PIL RGB images of one size -> float32 [N, 3, H, W] in 0..255."""
    x = np.stack([np.asarray(im.convert("RGB"), dtype=np.float32) for im in images])
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


def main() -> int:
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
    reference = np.asarray(ref["descriptors"], dtype=np.float32)
    print(json.dumps({
        "descriptors": descriptors.astype(float).tolist(),
        "max_abs_diff": float(np.abs(descriptors - reference).max()),
        "nonsquare": nonsquare,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
