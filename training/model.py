"""A compact residual CNN that maps an aligned face crop to the 40 CelebA attribute logits.

Design (input 3 x H x W, e.g. 3 x 80 x 64):

  stem   3x3 conv stride 2 -> `widths[0]` channels        (H/2 x W/2)
  stage  one or more BasicBlocks per width, the first of each stage with stride 2
  head   global average pool -> dropout -> linear (40 logits)

Every convolution is followed by BatchNorm; blocks are the two-3x3 residual blocks of
ResNet-18/34 (He et al. 2016) with a 1x1 projection shortcut when shape changes. With the
default widths (32, 64, 128, 256) and depths (1, 1, 1, 1) it has ~1.3 M parameters
(~5 MB as float32 ONNX) and ~60 M multiply-adds per 80x64 image, which trains at a few
hundred images/s on two CPU cores.
"""

from __future__ import annotations

import torch
from torch import nn

NUM_ATTRIBUTES = 40


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class AttributeNet(nn.Module):
    def __init__(
        self,
        widths: tuple[int, ...] = (32, 64, 128, 256),
        depths: tuple[int, ...] = (1, 1, 1, 1),
        dropout: float = 0.2,
        num_outputs: int = NUM_ATTRIBUTES,
    ) -> None:
        super().__init__()
        assert len(widths) == len(depths)
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)
        )
        blocks: list[nn.Module] = []
        cin = widths[0]
        for i, (w, d) in enumerate(zip(widths, depths)):
            for j in range(d):
                stride = 2 if (j == 0 and i > 0) else 1
                blocks.append(BasicBlock(cin, w, stride))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, num_outputs)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # Zero-init the last BN of each residual branch so blocks start as identity (Goyal et al. 2017).
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(self.dropout(x))


class PretrainedAttributeNet(nn.Module):
    """dlib's face-recognition ResNet (`dlib_resnet.DlibResNet`, pretrained weights from `@vladmandic/face-api`)
    as the backbone, then dropout and a linear layer to the 40 attribute logits. Only the 256-d pooled features are
    used: the backbone's 128-d identity descriptor is never computed or exported (issue 18).

    Input: [N, 3, H, W] normalised the way train.py normalises every model, ``(pixel/255 - mean) / std`` with the
    training crops' per-channel `mean`/`std`; it is mapped back to 0..255 RGB here, because the backbone applies its
    own normalisation (face-api's channel means, then /255) inside itself. Any H, W the backbone accepts (e.g. 136 x 112).

    The backbone's normalisation layers hold dlib's frozen per-channel scale and bias: they stay in inference mode
    while fine-tuning (`train()` is overridden), i.e. a learnable affine map with fixed statistics, as in the
    original network, so a batch of 32-128 crops cannot shift statistics learnt on ~3M faces.
    """

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, dropout: float = 0.2, pretrained_dir: str | None = None,
                 num_outputs: int = NUM_ATTRIBUTES) -> None:
        super().__init__()
        from dlib_resnet import DlibResNet, load_face_api_weights

        self.backbone = DlibResNet()
        if pretrained_dir is not None:
            load_face_api_weights(self.backbone, pretrained_dir)
        self.register_buffer("scale255", (std.detach().clone().float() * 255).view(1, 3, 1, 1))
        self.register_buffer("mean255", (mean.detach().clone().float() * 255).view(1, 3, 1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(self.backbone.feature_dim, num_outputs)
        nn.init.normal_(self.fc.weight, std=0.01)
        nn.init.zeros_(self.fc.bias)

    def train(self, mode: bool = True) -> "PretrainedAttributeNet":
        super().train(mode)
        for m in self.backbone.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.backbone.features(x * self.scale255 + self.mean255)
        return self.fc(self.dropout(f))


class FlipAverage(nn.Module):
    """Test-time augmentation: mean of the logits of the image and of its mirror image.
    The mirror is a Gather with reversed column indices, so it exports to any ONNX runtime."""

    def __init__(self, net: nn.Module, width: int) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("rev", torch.arange(width - 1, -1, -1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.net(x) + self.net(torch.index_select(x, 3, self.rev)))


class Calibrated(nn.Module):
    """Per-attribute temperature scaling (Guo et al., ICML 2017): logits / T, T > 0 fitted on validation.
    Dividing by a positive T keeps the ranking of each attribute, so thresholds carry over."""

    def __init__(self, net: nn.Module, temperature: torch.Tensor) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("temperature", temperature.detach().clone().float().view(1, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) / self.temperature


class WithSigmoid(nn.Module):
    """Wraps a logit model so the exported graph outputs probabilities."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x))


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def parse_ints(s: str) -> tuple[int, ...]:
    return tuple(int(v) for v in s.split(",") if v.strip())
