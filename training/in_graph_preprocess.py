"""Move the attribute model's preprocessing (crop region, resize, normalisation) inside its ONNX graph.

Training reads crops that PIL resized from the 178x218 aligned frame to the network's input size
(`Image.resize(..., Image.BILINEAR)`, which antialiases when shrinking). The exported graph can take the raw
aligned crop instead: uint8 RGB, NHWC, [N, 218, 178, 3]. Inside the graph it is cast to float, cut to the
sidecar's region, resized by two matrix products whose weights are PIL's own bilinear resampling weights, and
normalised with the training mean/std. The TypeScript side then copies crop bytes into the input tensor and
does no image work per face (issue 3: 500 aligned faces/s on 2 cores including preprocessing).

The resampling matrices are read out of PIL itself, not re-derived: resizing a 1-pixel-high float image ('F'
mode) that is 1 at column j and 0 elsewhere gives column j of the horizontal weight matrix, because PIL's
separable resampler only runs the horizontal pass when the height is unchanged. Float images are not rounded,
so the weights are PIL's to float32 precision. The difference from training's uint8 path is PIL's rounding to
0..255 after each of its two passes: measured on 50 CelebA crops, at most 0.98 grey levels, 0.26 on average.

Usage (standalone, on an exported float-input model; train.py calls `embed` itself):
    /usr/bin/python3 training/in_graph_preprocess.py models/celeba-attributes
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from dataset import FRAME_H, FRAME_W


def pil_resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in] float32 matrix M with PIL's bilinear (antialiased) 1-D resampling: out = M @ in."""
    m = np.zeros((n_out, n_in), np.float32)
    for j in range(n_in):
        row = np.zeros((1, n_in), np.float32)
        row[0, j] = 1.0
        out = Image.fromarray(row, mode="F").resize((n_out, 1), Image.BILINEAR)
        m[:, j] = np.asarray(out, np.float32)[0]
    return m


class InGraphPreprocess(nn.Module):
    """uint8 [N, H, W, 3] aligned crops -> normalised float [N, 3, h, w] network input.

    region: (x, y, width, height) integer window of the crop the network sees; size: (w, h) network input;
    mean/std: per-channel normalisation of pixel/255 (training statistics)."""

    def __init__(self, region: tuple[int, int, int, int], size: tuple[int, int], mean: list[float], std: list[float]) -> None:
        super().__init__()
        x, y, rw, rh = region
        w, h = size
        self.region = (x, y, rw, rh)
        self.register_buffer("rw_t", torch.from_numpy(pil_resize_matrix(rw, w).T.copy()))  # [rw, w]
        self.register_buffer("rh", torch.from_numpy(pil_resize_matrix(rh, h)))  # [h, rh]
        self.register_buffer("scale", (1.0 / (255.0 * torch.tensor(std, dtype=torch.float32))).view(1, 3, 1, 1))
        self.register_buffer("shift", (torch.tensor(mean, dtype=torch.float32) / torch.tensor(std, dtype=torch.float32)).view(1, 3, 1, 1))

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        x, y, rw, rh = self.region
        t = crops[:, y : y + rh, x : x + rw, :].float().permute(0, 3, 1, 2)  # [N, 3, rh, rw]
        t = torch.matmul(torch.matmul(self.rh, t), self.rw_t)  # [N, 3, h, w]
        return t * self.scale - self.shift


def embed(onnx_path: Path, sidecar_path: Path) -> None:
    """Rewrite `onnx_path` so its input is the uint8 NHWC aligned crop, and the sidecar's `input` to match.

    The float model's input (sidecar `input.input_name`, default "input") becomes the output of the
    preprocessing graph; the new input is named "crops". Refuses a model that already takes uint8 crops.
    """
    import onnx
    from onnx import compose

    side = json.loads(sidecar_path.read_text())
    inp = side["input"]
    if inp.get("dtype") == "uint8":
        raise SystemExit(f"{onnx_path}: already takes uint8 crops")
    r = inp["region"]
    region = tuple(int(round(r[k])) for k in ("x", "y", "width", "height"))
    pre = InGraphPreprocess(region, (inp["width"], inp["height"]), inp["mean"], inp["std"]).eval()
    with tempfile.TemporaryDirectory() as tmp:
        pre_path = Path(tmp) / "pre.onnx"
        torch.onnx.export(pre, torch.zeros(1, FRAME_H, FRAME_W, 3, dtype=torch.uint8), str(pre_path), opset_version=17,
                          input_names=["crops"], output_names=["network_input"],
                          dynamic_axes={"crops": {0: "N"}, "network_input": {0: "N"}}, do_constant_folding=True)
        pre_model = onnx.load(str(pre_path))
    model = onnx.load(str(onnx_path))
    pre_model.ir_version = model.ir_version  # merge_models requires equal IR versions
    name = inp.get("input_name") or model.graph.input[0].name
    merged = compose.merge_models(pre_model, model, io_map=[("network_input", name)])
    onnx.checker.check_model(merged)
    onnx.save(merged, str(onnx_path))
    if "onnx_bytes" in side.get("training", {}):
        side["training"]["onnx_bytes"] = onnx_path.stat().st_size
    side["input"] = {
        "width": FRAME_W, "height": FRAME_H, "layout": "NHWC", "dtype": "uint8",
        "region": {"x": 0, "y": 0, "width": FRAME_W, "height": FRAME_H},
        "mean": inp["mean"], "std": inp["std"], "input_name": "crops",
        "network": {"width": inp["width"], "height": inp["height"], "layout": inp["layout"], "region": r,
                    "note": "inside the graph: region cut, PIL bilinear (antialiased) resize as two matrix products, "
                            "(pixel/255 - mean) / std"},
    }
    sidecar_path.write_text(json.dumps(side, indent=2) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", type=Path, help="folder with attributes.onnx and attributes.json")
    a = p.parse_args()
    embed(a.model_dir / "attributes.onnx", a.model_dir / "attributes.json")
    print(f"{a.model_dir}: attributes.onnx now takes uint8 [N, 218, 178, 3] crops")


if __name__ == "__main__":
    main()
