"""Train the CelebA attribute model on canonical crops, choose thresholds on validation,
export ONNX + the `attributes.json` sidecar.

Example (the shipped model, see training/train.sh):

  /usr/bin/python3 training/train.py \
      --data celeba=work-data/crops/celeba --data celeba-hq=work-data/crops/celeba-hq \
      --epochs 20 --out models/celeba-attributes
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import DEFAULT_SHARED, FRAME_H, FRAME_W, REPO_ROOT, Split, load_split, parse_spec  # noqa: E402
from model import AttributeNet, Calibrated, FlipAverage, PretrainedAttributeNet, WithSigmoid, count_params, parse_ints  # noqa: E402
import in_graph_preprocess  # noqa: E402

TERMS = (
    "CelebA (Liu et al., ICCV 2015) and CelebA-HQ/CelebAMask-HQ (Karras et al. 2018; Lee et al. 2020): "
    "non-commercial research use only. The images are not redistributed; this model was trained on them."
)
BALANCE_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0)
AUTO_ACC_TOLERANCE = 0.0015
NOISY = ["Attractive", "Oval_Face", "Pointy_Nose", "High_Cheekbones", "Big_Lips", "Narrow_Eyes"]


def cpu_has_native_bf16() -> bool:
    """True when /proc/cpuinfo lists avx512_bf16 or amx_bf16 (Linux); False elsewhere or when unreadable."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def log(*a) -> None:
    print(*a, flush=True)


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", action="append", required=True,
                   help="NAME=MANIFEST_OR_CROP_DIR[,labels=..][,partition=..][,images=..][,mapping=..] (repeatable)")
    p.add_argument("--shared-data", type=Path, default=DEFAULT_SHARED, help="root of the shared datasets")
    p.add_argument("--out", type=Path, required=True, help="output dir for attributes.onnx + attributes.json")
    p.add_argument("--cache-dir", type=Path, default=REPO_ROOT / "work-data" / "cache")
    p.add_argument("--epochs", type=float, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (one-cycle)")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of steps warming up")
    p.add_argument("--width", type=int, default=64, help="model input width")
    p.add_argument("--height", type=int, default=80, help="model input height")
    p.add_argument("--region", default=f"0,0,{FRAME_W},{FRAME_H}",
                   help="x,y,w,h of the 178x218 aligned frame the model sees")
    p.add_argument("--arch", choices=["attrnet", "dlib"], default="attrnet",
                   help="attrnet: the compact ResNet trained from scratch (--widths/--depths); dlib: dlib's face-recognition "
                        "ResNet pretrained on ~3M faces (weights read from --pretrained-dir) + a linear head")
    p.add_argument("--pretrained-dir", default=str(REPO_ROOT / "node_modules" / "@vladmandic" / "face-api" / "model"),
                   help="folder with face_recognition_model-weights_manifest.json + .bin (--arch dlib)")
    p.add_argument("--backbone-lr-mult", type=float, default=0.3,
                   help="--arch dlib: the backbone's learning rate is --lr times this (the head gets --lr)")
    p.add_argument("--teacher", action="append", default=[],
                   help="DIR[:WEIGHT] with names.json + probs.f32 (scripts/predict-crops.ts, or --teacher-out of an "
                        "earlier run): distil from the weighted mean of the teachers' probabilities (repeatable)")
    p.add_argument("--distill-alpha", type=float, default=0.7,
                   help="loss = (1 - alpha) * BCE(labels) + alpha * BCE(teacher probabilities), with --teacher")
    p.add_argument("--init-state", type=Path, default=None,
                   help="start from the weights of an earlier run of the same --arch and size (its --save-state "
                        "final_state.pt; the test-time wrappers it was saved with are stripped; the attributes.json "
                        "beside it, when present, is recorded as the initial training run). With --epochs 0 nothing "
                        "is trained: the weights are re-calibrated, thresholded and exported with this run's options "
                        "(e.g. without --flip-tta)")
    p.add_argument("--teacher-out", type=Path, default=None,
                   help="write this model's final probabilities on every train/val/test crop here (names.json + "
                        "probs.f32), so it can teach a later run or join an ensemble (training/ensemble.py)")
    p.add_argument("--widths", default="32,64,128,256")
    p.add_argument("--depths", default="1,1,1,1")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--pos-weight", choices=["none", "sqrt"], default="none",
                   help="BCE pos_weight: none, or sqrt(neg/pos) per attribute")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke test)")
    p.add_argument("--time-budget", type=float, default=0,
                   help="seconds of training: the schedule follows max(step fraction, time fraction) and "
                        "training ends when either reaches 1 (0: steps only)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="training forward pass in float32, or in bfloat16 autocast (torch.autocast on the CPU: "
                        "1.75x faster measured on a 2-core AVX512-BF16 EPYC; weights, loss and evaluation stay "
                        "float32); auto: bf16 when the CPU has native bfloat16 (avx512_bf16 or amx_bf16), else fp32")
    p.add_argument("--workers", type=int, default=2, help="processes decoding crops (first run only)")
    p.add_argument("--no-dedupe-val", action="store_true",
                   help="keep validation photos that show the same original picture twice (CelebA vs CelebA-HQ)")
    p.add_argument("--eval-every", type=float, default=0, help="evaluate on validation every N epochs (0: only at the end)")
    p.add_argument("--flip-tta", action="store_true",
                   help="the evaluated and exported model averages the logits of the crop and its mirror image")
    p.add_argument("--name", default="celeba-attributes")
    p.add_argument("--ema", type=float, default=0.999,
                   help="decay of an exponential moving average of the weights (0: off); the final model is the "
                        "raw or the averaged weights, whichever has the higher validation accuracy")
    p.add_argument("--balance-weight", default="auto",
                   help="thresholds maximise accuracy + W * balanced accuracy per attribute on validation; a number, "
                        f"or 'auto': the largest W in {BALANCE_WEIGHTS} whose mean validation accuracy is within "
                        f"{100 * AUTO_ACC_TOLERANCE:.2f} points of W = 0")
    p.add_argument("--no-calibrate", action="store_true", help="skip per-attribute temperature scaling")
    p.add_argument("--save-state", type=Path, default=REPO_ROOT / "work-data" / "last-run",
                   help="where to keep the PyTorch weights and the validation/test probabilities (not shipped)")
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# augmentation (on a whole batch, on the CPU, in float)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """x: float [B,3,H,W] in [0,1]. Random horizontal flip, small scale/shift/rotation, colour jitter."""
    b = x.shape[0]
    r = lambda lo, hi: torch.empty(b).uniform_(lo, hi, generator=gen)  # noqa: E731
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    scale = r(0.93, 1.07)
    ang = r(-8, 8) * math.pi / 180
    tx, ty = r(-0.06, 0.06), r(-0.06, 0.06)
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # colour: brightness, contrast, saturation (per image), all small
    bright = r(0.8, 1.2).view(b, 1, 1, 1)
    contrast = r(0.8, 1.2).view(b, 1, 1, 1)
    sat = r(0.8, 1.2).view(b, 1, 1, 1)
    x = x * bright
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean
    gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    x = (x - gray) * sat + gray
    return x.clamp_(0, 1)


def to_float(u8: np.ndarray) -> torch.Tensor:
    """uint8 [B,H,W,3] -> float [B,3,H,W] in [0,1]."""
    return torch.from_numpy(u8).permute(0, 3, 1, 2).float().div_(255)


# ---------------------------------------------------------------------------------------------
# evaluation


@torch.no_grad()
def predict_logits(net: torch.nn.Module, images: np.ndarray, mean: torch.Tensor, std: torch.Tensor, bs: int = 256) -> np.ndarray:
    net.eval()
    out = []
    for i in range(0, len(images), bs):
        x = (to_float(images[i : i + bs]) - mean) / std
        out.append(net(x).numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros((0, 40), np.float64)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def predict(net: torch.nn.Module, images: np.ndarray, mean: torch.Tensor, std: torch.Tensor, bs: int = 256) -> np.ndarray:
    return sigmoid(predict_logits(net, images, mean, std, bs))


def _objective(tn: np.ndarray, tp: np.ndarray, n_neg: float, n_pos: float, w: float) -> np.ndarray:
    """accuracy + w * balanced accuracy for arrays of (true negatives, true positives)."""
    acc = (tn + tp) / max(1.0, n_neg + n_pos)
    rates = [r for r, d in ((tn / n_neg if n_neg else None, n_neg), (tp / n_pos if n_pos else None, n_pos)) if d]
    bal = sum(rates) / len(rates) if rates else 0.0
    return acc + w * bal


def best_threshold(p: np.ndarray, y: np.ndarray, balance_weight: float = 0.0) -> float:
    """Threshold t (positive iff p >= t) maximising accuracy + balance_weight * balanced accuracy
    (balance_weight 0: plain accuracy); among ties the one closest to 0.5.
    Candidates are 0.5 and the midpoints between consecutive distinct sorted probabilities (plus 0, 1)."""
    order = np.argsort(p, kind="stable")
    ps, ys = p[order].astype(np.float64), y[order].astype(np.float64)
    n = len(ps)
    n_pos = float(ys.sum())
    n_neg = n - n_pos
    # cut k: first k predicted negative. tn(k) = negatives among first k; tp(k) = positives among the rest
    tn = np.concatenate([[0], np.cumsum(1 - ys)])
    tp = n_pos - np.concatenate([[0], np.cumsum(ys)])
    score = _objective(tn, tp, n_neg, n_pos, balance_weight)
    valid = np.ones(n + 1, bool)
    valid[1:n] = ps[1:] > ps[:-1]  # can only cut between distinct values
    thr = np.empty(n + 1)
    thr[0] = ps[0] / 2 if n else 0.0  # everything positive
    thr[n] = (ps[-1] + 1) / 2 if n else 1.0  # everything negative
    thr[1:n] = (ps[:-1] + ps[1:]) / 2
    cand = np.where(valid, score, -np.inf)
    # the objective at 0.5 itself is a candidate too
    pred05, pos = p >= 0.5, y > 0.5
    s05 = float(_objective(np.array(float((~pred05 & ~pos).sum())), np.array(float((pred05 & pos).sum())),
                           n_neg, n_pos, balance_weight))
    best = cand.max()
    if s05 >= best - 1e-12:
        return 0.5
    ks = np.flatnonzero(cand >= best - 1e-12)
    return float(thr[ks[np.argmin(np.abs(thr[ks] - 0.5))]])


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    """Temperature T > 0 minimising the binary cross-entropy of sigmoid(z / T) against labels y
    (temperature scaling, Guo et al. 2017), by a log-spaced grid search over [0.25, 4]."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 241))
    best, best_t = np.inf, 1.0
    for t in grid:
        q = np.clip(sigmoid(z / t), 1e-7, 1 - 1e-7)
        nll = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


class WeightEMA:
    """Exponential moving average of every floating-point tensor in a model's state dict (weights and
    BatchNorm statistics), with the warm-up decay min(decay, (1 + step) / (10 + step)) of TensorFlow's
    ExponentialMovingAverage(num_updates=...)."""

    def __init__(self, net: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.state = {k: v.detach().clone() for k, v in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: torch.nn.Module, step: int) -> None:
        d = min(self.decay, (1 + step) / (10 + step))
        for k, v in net.state_dict().items():
            if v.dtype.is_floating_point:
                self.state[k].mul_(d).add_(v.detach(), alpha=1 - d)
            else:
                self.state[k].copy_(v)


def metrics_at(p: np.ndarray, y: np.ndarray, t: float) -> dict:
    pred = p >= t
    pos = y > 0.5
    tp = int((pred & pos).sum())
    fn = int((~pred & pos).sum())
    tn = int((~pred & ~pos).sum())
    fp = int((pred & ~pos).sum())
    n = tp + fn + tn + fp
    # An undefined rate (no positives, or no negatives, in the split) is reported as 0; balanced
    # accuracy then falls back to the one rate that is defined.
    sens = tp / (tp + fn) if tp + fn else None
    spec = tn / (tn + fp) if tn + fp else None
    defined = [v for v in (sens, spec) if v is not None]
    return {
        "tp": tp, "fn": fn, "tn": tn, "fp": fp,
        "accuracy": (tp + tn) / n if n else 0.0,
        "balanced_accuracy": sum(defined) / len(defined) if defined else 0.0,
        "baseline": max(tp + fn, tn + fp) / n if n else 0.0,
        "sensitivity": sens if sens is not None else 0.0,
        "specificity": spec if spec is not None else 0.0,
    }


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the probability of the positive class (equal-width bins)."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    e = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            e += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(min(1.0, e))


def evaluate(probs: np.ndarray, labels: np.ndarray, attributes: list[str], thresholds: dict | None = None,
             balance_weight: float = 0.0) -> dict:
    """Per-attribute metrics; thresholds chosen here (maximise accuracy + balance_weight * balanced
    accuracy) unless given."""
    chosen = {}
    per = {}
    for j, a in enumerate(attributes):
        t = thresholds[a] if thresholds is not None else round(best_threshold(probs[:, j], labels[:, j], balance_weight), 6)
        chosen[a] = t
        m = metrics_at(probs[:, j], labels[:, j], t)
        m["ece"] = ece(probs[:, j], labels[:, j])
        per[a] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in m.items()}
    n = len(labels)
    mean = lambda k: round(float(np.mean([per[a][k] for a in attributes])), 6)  # noqa: E731
    return {
        "n": n,
        "mean_accuracy": mean("accuracy"),
        "mean_balanced_accuracy": mean("balanced_accuracy"),
        "mean_baseline": mean("baseline"),
        "beats_baseline": sum(per[a]["accuracy"] > per[a]["baseline"] for a in attributes),
        "per_attribute": per,
        "thresholds": chosen,
    }


def print_table(ev: dict, attributes: list[str], title: str) -> None:
    log(f"\n{title} (n={ev['n']})")
    log(f"{'attribute':<22}{'thr':>7}{'acc':>8}{'bal':>8}{'base':>8}{'sens':>8}{'spec':>8}  beats")
    for a in attributes:
        m = ev["per_attribute"][a]
        log(f"{a:<22}{ev['thresholds'][a]:>7.3f}{100*m['accuracy']:>8.2f}{100*m['balanced_accuracy']:>8.2f}"
            f"{100*m['baseline']:>8.2f}{100*m['sensitivity']:>8.2f}{100*m['specificity']:>8.2f}  "
            f"{'yes' if m['accuracy'] > m['baseline'] else 'NO'}")
    log(f"{'MEAN':<22}{'':>7}{100*ev['mean_accuracy']:>8.2f}{100*ev['mean_balanced_accuracy']:>8.2f}"
        f"{100*ev['mean_baseline']:>8.2f}")
    log(f"attributes beating the majority baseline: {ev['beats_baseline']} / {len(attributes)}")


# ---------------------------------------------------------------------------------------------


def export_onnx(net: torch.nn.Module, path: Path, h: int, w: int) -> None:
    net = net.to(memory_format=torch.contiguous_format).eval()
    wrapped = WithSigmoid(net).eval()
    dummy = torch.zeros(1, 3, h, w)
    torch.onnx.export(
        wrapped, dummy, str(path), opset_version=17, input_names=["input"], output_names=["probabilities"],
        dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}}, do_constant_folding=True,
    )
    import onnx

    m = onnx.load(str(path))
    onnx.checker.check_model(m)


def read_teacher(d: str | Path, attributes: list[str]) -> tuple[dict[str, int], np.ndarray]:
    """A teacher folder (DIR/names.json {"attributes", "names"} + DIR/probs.f32): {name: row}, float32 [rows, 40].
    Raises SystemExit when its attributes are in another order."""
    meta = json.loads((Path(d) / "names.json").read_text())
    if list(meta["attributes"]) != list(attributes):
        raise SystemExit(f"teacher {d}: attribute order differs from the training labels")
    probs = np.fromfile(Path(d) / "probs.f32", dtype="<f4").reshape(len(meta["names"]), len(attributes))
    return {n: i for i, n in enumerate(meta["names"])}, probs


def teacher_rows(teacher: tuple[dict[str, int], np.ndarray], names: list[str], label: str) -> np.ndarray:
    """The rows of `read_teacher`'s output for `names`, in that order. Raises SystemExit when a name is missing."""
    index, probs = teacher
    missing = [n for n in names if n not in index]
    if missing:
        raise SystemExit(f"teacher {label}: no probabilities for {len(missing)} crops, e.g. {missing[:3]}")
    return probs[[index[n] for n in names]]


def load_teachers(specs: list[str], names: list[str], attributes: list[str]) -> np.ndarray:
    """Weighted mean of teacher probabilities for `names` ("dataset/basename"), float32 [len(names), 40].
    Each spec is DIR[:WEIGHT] (weight default 1), a folder `read_teacher` reads.
    Raises SystemExit when a teacher lacks a name or orders its attributes differently."""
    total = np.zeros((len(names), len(attributes)), np.float64)
    wsum = 0.0
    for spec in specs:
        d, _, w = spec.partition(":")
        w_ = float(w) if w else 1.0
        total += w_ * teacher_rows(read_teacher(d, attributes), names, d)
        wsum += w_
    return (total / wsum).astype(np.float32)


def write_teacher(out: Path, parts: list[tuple[list[str], np.ndarray]], attributes: list[str], source: str) -> None:
    """Probabilities in the teacher format `read_teacher` reads: `parts` are (names, probabilities [n, 40]) pairs,
    written one after the other."""
    out.mkdir(parents=True, exist_ok=True)
    parts = [(n, p) for n, p in parts if len(n)]
    np.concatenate([p for _, p in parts]).astype("<f4").tofile(out / "probs.f32")
    names = [x for n, _ in parts for x in n]
    (out / "names.json").write_text(json.dumps({"model": source, "attributes": attributes, "names": names}))
    log(f"[teacher] probabilities on {len(names)} crops -> {out}")


def load_init_state(net: torch.nn.Module, path: Path) -> None:
    """Load a `final_state.pt` written by an earlier run into `net` (the bare network, before any wrapper).

    The saved state may be wrapped in `Calibrated` and `FlipAverage` (keys prefixed `net.`, plus `temperature`):
    the prefixes are stripped and the temperature dropped, since this run calibrates again. Raises SystemExit when
    the file does not fit the network (another --arch, width list or head)."""
    state = torch.load(path, map_location="cpu")
    own = net.state_dict()
    stripped = {}
    for k, v in state.items():
        while k not in own and k.startswith("net."):
            k = k[len("net."):]
        if k in own:
            stripped[k] = v
    missing = [k for k in own if k not in stripped]
    if missing:
        raise SystemExit(f"--init-state {path}: does not fit this network ({len(missing)} tensors missing, e.g. {missing[0]})")
    net.load_state_dict(stripped)


def main(argv: list[str] | None = None, return_net: bool = False):
    args = get_args(argv)
    if args.precision == "auto":
        args.precision = "bf16" if cpu_has_native_bf16() else "fp32"
    t_start = time.time()
    # Flush denormal floats to zero: without it, steps slowed down 2x over the first 1,000 as values in the
    # backward pass became tiny (measured: 13 s -> 25 s per 50 steps of 128 on 2 cores; fresh weights 13 s).
    torch.set_flush_denormal(True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    region = tuple(float(v) for v in args.region.split(","))
    assert len(region) == 4
    size = (args.width, args.height)
    specs = [parse_spec(d, args.shared_data) for d in args.data]

    train = load_split(specs, "train", region, size, args.cache_dir, dedupe=False, workers=args.workers, log=log)
    val = load_split(specs, "val", region, size, args.cache_dir, dedupe=not args.no_dedupe_val, workers=args.workers, log=log)
    test = load_split(specs, "test", region, size, args.cache_dir, dedupe=True, workers=args.workers, log=log)
    attributes = train.attributes
    assert len(attributes) == 40
    if len(train.images) == 0 or len(val.images) == 0:
        raise SystemExit("no training or validation crops")
    log(f"[data] train {len(train.images)}, val {len(val.images)}, test {len(test.images)} crops; "
        f"loaded in {time.time() - t_start:.1f}s")

    # normalisation: per-channel mean/std of the training crops (applied to pixel/255)
    sample = train.images[:: max(1, len(train.images) // 4000)].astype(np.float32) / 255
    mean_c = [round(float(v), 4) for v in sample.mean(axis=(0, 1, 2))]
    std_c = [round(float(v), 4) for v in sample.std(axis=(0, 1, 2))]
    mean = torch.tensor(mean_c).view(1, 3, 1, 1)
    std = torch.tensor(std_c).view(1, 3, 1, 1)

    if args.arch == "dlib":
        net = PretrainedAttributeNet(mean, std, args.dropout, args.pretrained_dir).to(memory_format=torch.channels_last)
        architecture = ("dlib_face_recognition_resnet_model_v1 backbone (dlib, public domain; weights from "
                        "@vladmandic/face-api, MIT), frozen normalisation statistics, 256-d pooled features -> "
                        f"dropout {args.dropout} -> linear 40")
    else:
        net = AttributeNet(parse_ints(args.widths), parse_ints(args.depths), args.dropout).to(memory_format=torch.channels_last)
        architecture = (f"AttributeNet (compact ResNet, BasicBlocks) widths {args.widths} depths {args.depths}, "
                        f"dropout {args.dropout}, BatchNorm")
    if args.init_state is not None:
        load_init_state(net, args.init_state)
        log(f"[model] initial weights from {args.init_state}")
    elif args.epochs <= 0:
        raise SystemExit("--epochs 0 needs --init-state (nothing to export otherwise)")
    n_params = count_params(net)
    log(f"[model] {args.arch}: {n_params:,} parameters; input {args.width}x{args.height}")
    soft = None
    if args.teacher:
        soft = torch.from_numpy(load_teachers(args.teacher, train.names, attributes))
        log(f"[distil] soft targets from {len(args.teacher)} teacher(s) on {len(train.names)} training crops, alpha {args.distill_alpha}")

    pos_frac = train.labels.mean(0)
    pos_weight = None
    if args.pos_weight == "sqrt":
        pos_weight = torch.tensor(np.sqrt((1 - pos_frac) / np.clip(pos_frac, 1e-3, None)), dtype=torch.float32)
    criterion = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)

    n_train = len(train.images)
    steps_per_epoch = max(1, n_train // args.batch_size)
    total_steps = max(0 if args.epochs <= 0 else 1, int(round(args.epochs * steps_per_epoch)))
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    groups: dict[tuple[bool, float], list] = {}
    for name_, p_ in net.named_parameters():
        mult = args.backbone_lr_mult if (args.arch == "dlib" and name_.startswith("backbone.")) else 1.0
        groups.setdefault((p_.ndim <= 1, mult), []).append(p_)
    opt = torch.optim.AdamW([{"params": ps, "weight_decay": 0.0 if nd else args.weight_decay, "lr_mult": mult}
                             for (nd, mult), ps in groups.items()], lr=args.lr)

    def lr_at(p: float) -> float:
        """One-cycle: linear warm-up from lr/25 to lr over `warmup`, then cosine down to lr/25000."""
        lo, hi, end = args.lr / 25, args.lr, args.lr / 25000
        if p < args.warmup:
            return lo + (hi - lo) * p / args.warmup
        q = min(1.0, (p - args.warmup) / max(1e-9, 1 - args.warmup))
        return end + (hi - end) * 0.5 * (1 + math.cos(math.pi * q))

    def set_lr(v: float) -> None:
        for g in opt.param_groups:
            g["lr"] = v * g["lr_mult"]
    labels_t = torch.from_numpy(train.labels)
    log(f"[train] up to {total_steps} steps of batch {args.batch_size} ({total_steps / steps_per_epoch:.2f} epochs)"
        + (f" or {args.time_budget:.0f}s" if args.time_budget else "")
        + f", AdamW lr {args.lr} wd {args.weight_decay}, one-cycle cosine, threads {args.threads}, {args.precision}")

    ema = WeightEMA(net, args.ema) if args.ema > 0 and total_steps else None
    t_train = time.time()
    step, epoch, running, seen = 0, 0, 0.0, 0
    eval_every_steps = int(args.eval_every * steps_per_epoch) if args.eval_every else 0
    progress = 0.0 if total_steps else 1.0
    lr_now = lr_at(0.0)
    while progress < 1:
        perm = torch.randperm(n_train, generator=gen).numpy()
        for bi in range(steps_per_epoch):
            el = time.time() - t_train
            progress = max(step / total_steps, el / args.time_budget if args.time_budget else 0.0)
            if progress >= 1:
                break
            lr_now = lr_at(progress)
            set_lr(lr_now)
            idx = np.sort(perm[bi * args.batch_size : (bi + 1) * args.batch_size])
            x = augment(to_float(train.images[idx]), gen)
            x = ((x - mean) / std).contiguous(memory_format=torch.channels_last)
            y = labels_t[idx]
            net.train()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
                logits = net(x)
            loss = criterion(logits.float(), y)
            if soft is not None:
                loss = (1 - args.distill_alpha) * loss + args.distill_alpha * criterion(logits.float(), soft[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if ema is not None:
                ema.update(net, step)
            running += loss.item() * len(idx)
            seen += len(idx)
            if step % 50 == 0 or step == total_steps:
                el = time.time() - t_train
                p_now = max(step / total_steps, el / args.time_budget if args.time_budget else 0.0)
                log(f"[train] step {step}/{total_steps} epoch {step / steps_per_epoch:.2f} loss {running / seen:.4f} "
                    f"lr {lr_now:.2e} {step * args.batch_size / el:.0f} img/s elapsed {el:.0f}s "
                    f"progress {100 * p_now:.1f}% eta {el / max(p_now, 1e-9) * (1 - p_now):.0f}s")
                running, seen = 0.0, 0
            if eval_every_steps and step % eval_every_steps == 0 and step < total_steps:
                vt = time.time()
                ev = evaluate(predict(net, val.images, mean, std), val.labels, attributes)
                log(f"[val] step {step}: mean acc {100*ev['mean_accuracy']:.2f} bal {100*ev['mean_balanced_accuracy']:.2f} "
                    f"beats {ev['beats_baseline']}/40 ({time.time() - vt:.0f}s)")
        epoch += 1
    train_seconds = time.time() - t_train
    log(f"[train] done: {step} steps in {train_seconds:.0f}s")

    # ---- raw or averaged weights: whichever is more accurate on validation (accuracy-optimal thresholds)
    net = net.to(memory_format=torch.contiguous_format).eval()
    weights_used = "raw"
    if ema is not None:
        raw_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        raw_acc = evaluate(predict(net, val.images, mean, std), val.labels, attributes)["mean_accuracy"]
        net.load_state_dict(ema.state)
        ema_acc = evaluate(predict(net, val.images, mean, std), val.labels, attributes)["mean_accuracy"]
        log(f"[val] raw weights {100 * raw_acc:.2f}%, EMA({args.ema}) weights {100 * ema_acc:.2f}% (no TTA)")
        if ema_acc >= raw_acc:
            weights_used = f"EMA (decay {args.ema})"
        else:
            net.load_state_dict(raw_state)
    if args.flip_tta:
        net = FlipAverage(net, args.width).eval()

    # ---- calibration: per-attribute temperature on validation logits
    vz = predict_logits(net, val.images, mean, std)
    ece_before = [ece(sigmoid(vz[:, j]), val.labels[:, j]) for j in range(len(attributes))]
    temps = np.ones(len(attributes))
    if not args.no_calibrate:
        temps = np.array([fit_temperature(vz[:, j], val.labels[:, j]) for j in range(len(attributes))])
        net = Calibrated(net, torch.tensor(temps, dtype=torch.float32)).eval()
    vp = sigmoid(vz / temps)
    ece_after = [ece(vp[:, j], val.labels[:, j]) for j in range(len(attributes))]
    log(f"[calibration] mean ECE on validation {100 * np.mean(ece_before):.2f}% -> {100 * np.mean(ece_after):.2f}% "
        f"(temperatures {temps.min():.2f}-{temps.max():.2f})")

    # ---- validation: thresholds + metrics
    log("\n[thresholds] objective accuracy + W * balanced accuracy, per attribute, on validation:")
    by_w = {}
    for w_ in BALANCE_WEIGHTS:
        e_ = evaluate(vp, val.labels, attributes, balance_weight=w_)
        by_w[w_] = e_
        log(f"  W={w_:<5g} mean acc {100 * e_['mean_accuracy']:.2f}  balanced {100 * e_['mean_balanced_accuracy']:.2f}  "
            f"beats baseline {e_['beats_baseline']}/40")
    if args.balance_weight == "auto":
        ok = [w_ for w_ in BALANCE_WEIGHTS if by_w[w_]["mean_accuracy"] >= by_w[0.0]["mean_accuracy"] - AUTO_ACC_TOLERANCE]
        balance_weight = max(ok)
    else:
        balance_weight = float(args.balance_weight)
    log(f"[thresholds] W = {balance_weight:g}" + (" (auto)" if args.balance_weight == "auto" else ""))
    ev = by_w[balance_weight] if balance_weight in by_w else evaluate(vp, val.labels, attributes, balance_weight=balance_weight)
    for j, a in enumerate(attributes):
        ev["per_attribute"][a]["ece_uncalibrated"] = round(ece_before[j], 6)
    print_table(ev, attributes, "VALIDATION (thresholds chosen here)")
    per_ds = {}
    for di, dname in enumerate(val.datasets):
        m = val.dataset == di
        if m.any():
            e = evaluate(vp[m], val.labels[m], attributes, ev["thresholds"])
            per_ds[dname] = {k: e[k] for k in ("n", "mean_accuracy", "mean_balanced_accuracy", "mean_baseline", "beats_baseline")}
            log(f"[val] {dname}: n={e['n']} mean acc {100*e['mean_accuracy']:.2f} bal {100*e['mean_balanced_accuracy']:.2f} "
                f"baseline {100*e['mean_baseline']:.2f} beats {e['beats_baseline']}/40")
    test_summary = None
    tp_ = predict(net, test.images, mean, std) if len(test.images) else np.zeros((0, 40))
    args.save_state.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), args.save_state / "final_state.pt")
    np.savez_compressed(args.save_state / "predictions.npz", val_probs=vp, val_labels=val.labels,
                        test_probs=tp_, test_labels=test.labels if len(test.images) else np.zeros((0, 40)))
    log(f"[state] weights and validation/test probabilities in {args.save_state}")
    if args.teacher_out is not None:
        # Validation and test probabilities are the ones computed above; only the training crops need a pass.
        write_teacher(args.teacher_out, [(train.names, predict(net, train.images, mean, std)), (val.names, vp),
                                         (test.names, tp_)], attributes, f"training/train.py --arch {args.arch}")
    if len(test.images):
        tev = evaluate(tp_, test.labels, attributes, ev["thresholds"])
        print_table(tev, attributes, "TEST (validation thresholds; not used for any choice)")
        test_summary = {k: tev[k] for k in ("n", "mean_accuracy", "mean_balanced_accuracy", "mean_baseline", "beats_baseline")}
        test_summary["per_attribute"] = {a: {k: tev["per_attribute"][a][k] for k in ("accuracy", "balanced_accuracy", "baseline")}
                                         for a in attributes}
        test_summary["datasets"] = test.report

    # ---- export
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "attributes.onnx"
    export_onnx(net, onnx_path, args.height, args.width)
    onnx_mb = onnx_path.stat().st_size / 1e6
    log(f"[export] {onnx_path} ({onnx_mb:.2f} MB)")

    total_seconds = time.time() - t_start
    cmd = " ".join(shlex.quote(a) for a in ([os.path.relpath(sys.argv[0], REPO_ROOT) if argv is None else "training/train.py"]
                                             + (sys.argv[1:] if argv is None else argv)))
    sidecar = {
        "format": "facetally-attributes/1",
        "model": onnx_path.name,
        "attributes": attributes,
        "input": {
            "width": args.width,
            "height": args.height,
            "layout": "NCHW",
            "region": {"x": region[0], "y": region[1], "width": region[2], "height": region[3]},
            "mean": mean_c,
            "std": std_c,
            "input_name": "input",
        },
        "output": "probabilities",
        "thresholds": ev["thresholds"],
        "validation": {
            "split": "val",
            "n": ev["n"],
            "mean_accuracy": ev["mean_accuracy"],
            "mean_balanced_accuracy": ev["mean_balanced_accuracy"],
            "mean_baseline": ev["mean_baseline"],
            "per_attribute": ev["per_attribute"],
        },
        "training": {
            "name": args.name,
            "data": {
                "datasets": [s.name for s in specs],
                "manifests": {s.name: [os.path.relpath(m, REPO_ROOT) for m in s.manifests] for s in specs},
                "crops": "canonical 178x218 crops from `facetally crop` (face 0 of each photo), joined to labels on the source basename",
                "train": {"n": len(train.images), "datasets": train.report},
                "val": {"n": len(val.images), "datasets": val.report, "per_dataset": per_ds,
                        "note": "official CelebA validation split of every dataset; thresholds chosen and metrics measured here"
                        + ("" if args.no_dedupe_val else "; a CelebA-HQ photo of the same original picture as a CelebA image is counted once")},
            },
            "terms": TERMS,
            "command": cmd,
            "epochs": round(step / steps_per_epoch, 3),
            "steps": step,
            "batch_size": args.batch_size,
            "seconds": round(total_seconds, 1),
            "train_seconds": round(train_seconds, 1),
            "params": n_params,
            "onnx_bytes": onnx_path.stat().st_size,
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "architecture": architecture,
            "distillation": ({"teachers": args.teacher, "alpha": args.distill_alpha,
                              "loss": "(1 - alpha) * BCE(labels) + alpha * BCE(mean teacher probability)"}
                             if args.teacher else None),
            "optimizer": f"AdamW lr {args.lr} weight_decay {args.weight_decay}, one-cycle cosine schedule (warmup {args.warmup})"
            + (f", backbone lr x {args.backbone_lr_mult:g}" if args.arch == "dlib" else "")
            + (f" over min({args.epochs:g} epochs, {args.time_budget:g} s)" if args.time_budget else ""),
            "time_budget_s": args.time_budget or None,
            "precision": ("bfloat16 autocast in the training forward pass (float32 weights, loss and evaluation)"
                          if args.precision == "bf16" else "float32"),
            "loss": "BCE with logits" + (", pos_weight sqrt(neg/pos)" if args.pos_weight == "sqrt" else ""),
            "test_time_augmentation": "mean logits of the crop and its mirror image (inside the ONNX graph)" if args.flip_tta else None,
            "augmentation": "horizontal flip, scale 0.93-1.07, rotation +-8 deg, shift +-3%, brightness/contrast/saturation 0.8-1.2",
            "resize": "region of the aligned frame resized with PIL bilinear (antialiased) to width x height",
            "decision_rule": "attribute present iff probability >= threshold",
            "threshold_rule": (f"per attribute, maximise validation accuracy + {balance_weight:g} x balanced accuracy"
                               + (f" (W chosen automatically: the largest of {list(BALANCE_WEIGHTS)} within "
                                  f"{100 * AUTO_ACC_TOLERANCE:.2f} points of the accuracy-optimal mean validation accuracy)"
                                  if args.balance_weight == "auto" else "")
                               + "; ties -> closest to 0.5") if balance_weight else
                              "per attribute, maximise validation accuracy; ties -> closest to 0.5",
            "threshold_alternatives": {f"{w_:g}": {"mean_accuracy": by_w[w_]["mean_accuracy"],
                                                    "mean_balanced_accuracy": by_w[w_]["mean_balanced_accuracy"]}
                                       for w_ in BALANCE_WEIGHTS},
            "weights": weights_used,
            "initial_weights": (f"{args.init_state} (" + ("not trained further: re-exported with this run's options"
                                                          if total_steps == 0 else f"then {step} steps") + ")"
                                if args.init_state else None),
            "calibration": None if args.no_calibrate else {
                "method": "Per-attribute temperature scaling of the logits (Guo et al., ICML 2017), fitted on the validation split by NLL; inside the ONNX graph",
                "temperature": {a: round(float(temps[j]), 4) for j, a in enumerate(attributes)},
                "mean_ece_before": round(float(np.mean(ece_before)), 6),
                "mean_ece_after": round(float(np.mean(ece_after)), 6),
                "ece_bins": 10,
            },
            "seed": args.seed,
            "threads": args.threads,
            "torch": torch.__version__,
            "machine": f"{platform.machine()} CPU, {args.threads} threads",
            "beats_baseline_val": ev["beats_baseline"],
            "noisy_labels": NOISY,
            "test": test_summary,
        },
    }
    if args.init_state is not None and (args.init_state.parent / "attributes.json").exists():
        # the run that trained the initial weights (its sidecar is kept beside its state): the model card shows it
        earlier = json.loads((args.init_state.parent / "attributes.json").read_text()).get("training", {})
        sidecar["training"]["initial_training"] = {k: v for k, v in earlier.items()
                                                   if k not in ("validation", "test", "calibration", "threshold_alternatives")}
    (args.out / "attributes.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    # a copy beside the weights, so a later --init-state run can name the run that trained them
    (args.save_state / "attributes.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    # The shipped graph takes the raw uint8 aligned crop and resizes/normalises inside itself.
    in_graph_preprocess.embed(onnx_path, args.out / "attributes.json")
    sidecar = json.loads((args.out / "attributes.json").read_text())
    log(f"[export] {args.out / 'attributes.json'}")
    log(f"[done] total {total_seconds:.0f}s (training {train_seconds:.0f}s); val mean acc {100*ev['mean_accuracy']:.2f}%, "
        f"balanced {100*ev['mean_balanced_accuracy']:.2f}%, baseline {100*ev['mean_baseline']:.2f}%, "
        f"beats baseline {ev['beats_baseline']}/40")
    if return_net:
        return sidecar, net
    return sidecar


if __name__ == "__main__":
    main()
