"""Load canonical face crops (written by `facetally crop`) with their CelebA labels.

A *dataset spec* names one crop manifest (`crops.jsonl`, one JSON object per line:
`{"crop", "source", "face", "score"}`) plus the label file, the split file and the directory of
the original photos of that dataset. Crops are joined to labels on the basename of `source`;
only face 0 (the detector's highest-scoring face) of each photo is kept.

All face-0 crops of a manifest are decoded once, cut to `region` (x, y, width, height in the
178x218 CelebA aligned frame), resized to the model input size with PIL bilinear (which
antialiases when shrinking) and cached as a uint8 array under the cache dir, keyed by the
manifest's path, size and mtime plus region and size, so reruns start in a second.

Split selection happens after the cache, so one cache serves train, validation and test.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

FRAME_W, FRAME_H = 178, 218
SPLITS = {"train": 0, "val": 1, "test": 2}

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"

# Where the label/split files and photos of the datasets we know live, relative to the shared data root.
KNOWN = {
    "celeba": {
        "labels": "celeba/list_attr_celeba.txt",
        "partition": "celeba/list_eval_partition.txt",
        "images": "celeba/img_align_celeba",
    },
    "celeba-hq": {
        "labels": "celeba-hq/CelebAMask-HQ-attribute-anno.txt",
        "partition": "celeba-hq/list_eval_partition.txt",
        "images": "celeba-hq/images",
        "mapping": "celeba-hq/CelebA-HQ-to-CelebA-mapping.txt",
    },
}


@dataclass
class DatasetSpec:
    name: str
    manifests: list[Path]
    labels: Path
    partition: Path
    images: Path | None = None  # directory of the input photos; used to count detector misses
    mapping: Path | None = None  # optional `idx orig_idx orig_file` map to the original CelebA file

    @property
    def manifest(self) -> Path:
        return self.manifests[0]


def parse_spec(text: str, shared: Path = DEFAULT_SHARED) -> DatasetSpec:
    """Parse `NAME=MANIFEST[+MANIFEST...][,labels=PATH][,partition=PATH][,images=DIR][,mapping=PATH]`.

    A MANIFEST may be a crop directory: then its `crops.jsonl`, or, when there is none, all of its
    `crops*.jsonl` (e.g. the per-shard manifests of a sharded `facetally crop`). For the known dataset
    names `celeba` and `celeba-hq` the other paths default to the files under `shared`.
    """
    if "=" not in text:
        raise ValueError(f"--data {text!r}: expected NAME=MANIFEST[,key=value...]")
    name, rest = text.split("=", 1)
    parts = rest.split(",")
    manifests: list[Path] = []
    for m in parts[0].split("+"):
        mp = Path(m)
        if mp.is_dir():
            if (mp / "crops.jsonl").exists():
                manifests.append(mp / "crops.jsonl")
            else:
                found = sorted(mp.glob("crops*.jsonl"))
                if not found:
                    raise ValueError(f"--data {text!r}: no crops*.jsonl in {mp}")
                manifests += found
        else:
            manifests.append(mp)
    opts = dict(KNOWN.get(name, {}))
    opts = {k: str(shared / v) for k, v in opts.items()}
    for p in parts[1:]:
        k, v = p.split("=", 1)
        if k not in ("labels", "partition", "images", "mapping"):
            raise ValueError(f"--data {text!r}: unknown key {k!r}")
        opts[k] = v
    for k in ("labels", "partition"):
        if k not in opts:
            raise ValueError(f"--data {text!r}: {k}= is required for dataset {name!r}")
    return DatasetSpec(
        name=name,
        manifests=manifests,
        labels=Path(opts["labels"]),
        partition=Path(opts["partition"]),
        images=Path(opts["images"]) if opts.get("images") else None,
        mapping=Path(opts["mapping"]) if opts.get("mapping") else None,
    )


def read_labels(path: Path, wanted: set[str] | None = None) -> tuple[list[str], dict[str, np.ndarray]]:
    """CelebA attribute file -> (40 names, {basename: int8[40] in {0, 1}})."""
    out: dict[str, np.ndarray] = {}
    with open(path) as f:
        f.readline()
        names = f.readline().split()
        for line in f:
            sp = line.split()
            if not sp or (wanted is not None and sp[0] not in wanted):
                continue
            out[sp[0]] = (np.array(sp[1:], dtype=np.int8) > 0).astype(np.int8)
    return names, out


def read_partition(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(path) as f:
        for line in f:
            sp = line.split()
            if len(sp) == 2 and sp[1].isdigit():
                out[sp[0]] = int(sp[1])
    return out


def read_mapping(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with open(path) as f:
        f.readline()
        for line in f:
            sp = line.split()
            if len(sp) == 3:
                out[f"{sp[0]}.jpg"] = sp[2]
    return out


def read_manifest(paths: list[Path]) -> list[dict]:
    """Face-0 rows of crop manifests, one per source basename (first wins), crop path made absolute."""
    rows: dict[str, dict] = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)
                if int(r.get("face", 0)) != 0:
                    continue
                base = os.path.basename(r["source"])
                if base in rows:
                    continue
                rows[base] = {
                    "base": base,
                    "crop": str((path.parent / r["crop"]).resolve()),
                    "score": float(r.get("score", float("nan"))),
                }
    return list(rows.values())


def _load_one(args: tuple[str, tuple[float, float, float, float], tuple[int, int]]) -> np.ndarray:
    path, region, size = args
    x, y, w, h = region
    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.size != (FRAME_W, FRAME_H):
            raise ValueError(f"{path}: crop is {im.size[0]}x{im.size[1]}, expected {FRAME_W}x{FRAME_H}")
        # PIL's BILINEAR resize uses a support scaled by the shrink factor, i.e. it is antialiased.
        out = im.resize(size, Image.BILINEAR, box=(x, y, x + w, y + h))
    return np.asarray(out, dtype=np.uint8)


def decode_crops(
    paths: list[str], region: tuple[float, float, float, float], size: tuple[int, int], workers: int
) -> np.ndarray:
    """Decode crops -> uint8 [N, H, W, 3]."""
    jobs = [(p, region, size) for p in paths]
    if workers > 1 and len(paths) > 64:
        with Pool(workers) as pool:
            arrs = pool.map(_load_one, jobs, chunksize=64)
    else:
        arrs = [_load_one(j) for j in jobs]
    if not arrs:
        return np.zeros((0, size[1], size[0], 3), dtype=np.uint8)
    return np.stack(arrs)


_MEMO: dict = {}  # in-process memo of decoded manifests (train/val/test share one decode)


def load_manifest_cached(
    spec: DatasetSpec,
    region: tuple[float, float, float, float],
    size: tuple[int, int],
    cache_dir: Path | None,
    workers: int = 2,
    log=print,
) -> tuple[list[dict], np.ndarray]:
    rows = read_manifest(spec.manifests)
    memo_key = (tuple(str(m) for m in spec.manifests), tuple(region), tuple(size))
    if memo_key in _MEMO and _MEMO[memo_key][0] == [r["base"] for r in rows]:
        return rows, _MEMO[memo_key][1]
    stamp = [[str(m.resolve()), m.stat().st_size, m.stat().st_mtime_ns] for m in spec.manifests]
    key = hashlib.sha1(json.dumps([stamp, list(region), list(size), 1]).encode()).hexdigest()[:16]
    cache = cache_dir / f"{spec.name}-{size[0]}x{size[1]}-{key}.npz" if cache_dir else None
    if cache is not None and cache.exists():
        z = np.load(cache, allow_pickle=False)
        bases = [str(b) for b in z["bases"]]
        if bases == [r["base"] for r in rows]:
            log(f"[data] {spec.name}: {len(rows)} face-0 crops from cache {cache}")
            _MEMO[memo_key] = (bases, z["images"])
            return rows, z["images"]
    t0 = time.time()
    images = decode_crops([r["crop"] for r in rows], region, size, workers)
    log(f"[data] {spec.name}: decoded {len(rows)} face-0 crops in {time.time() - t0:.1f}s")
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, images=images, bases=np.array([r["base"] for r in rows]))
        os.replace(tmp, cache)
    _MEMO[memo_key] = ([r["base"] for r in rows], images)
    return rows, images


@dataclass
class Split:
    split: str
    images: np.ndarray  # uint8 [N, H, W, 3]
    labels: np.ndarray  # float32 [N, 40] in {0, 1}
    names: list[str]  # "dataset/basename"
    dataset: np.ndarray  # int [N], index into `datasets`
    datasets: list[str]
    attributes: list[str]
    report: dict = field(default_factory=dict)  # per dataset: photos, crops, missed, dropped duplicates


def load_split(
    specs: list[DatasetSpec],
    split: str,
    region: tuple[float, float, float, float],
    size: tuple[int, int],
    cache_dir: Path | None,
    dedupe: bool = False,
    workers: int = 2,
    log=print,
) -> Split:
    """Crops of `split` from all datasets. With `dedupe`, a photo whose original CelebA file already
    came from an earlier dataset (via the spec's mapping) is dropped, so no picture counts twice."""
    code = SPLITS[split]
    imgs, labs, names, ds_idx = [], [], [], []
    report: dict[str, dict] = {}
    attributes: list[str] | None = None
    seen_origins: set[str] = set()
    for di, spec in enumerate(specs):
        part = read_partition(spec.partition)
        rows, images = load_manifest_cached(spec, region, size, cache_dir, workers, log)
        if spec.images is not None and spec.images.is_dir():
            photos = {p for p in os.listdir(spec.images) if p.lower().endswith((".jpg", ".jpeg", ".png"))}
        else:
            photos = {r["base"] for r in rows}
        in_split = {p for p in photos if part.get(p) == code}
        names_attr, labels = read_labels(spec.labels, in_split)
        if attributes is None:
            attributes = names_attr
        elif names_attr != attributes:
            raise ValueError(f"{spec.labels}: attribute names differ from the first dataset's")
        mapping = read_mapping(spec.mapping) if (dedupe and spec.mapping) else None
        keep, dup, unlabelled = [], 0, 0
        for i, r in enumerate(rows):
            b = r["base"]
            if b not in in_split:
                continue
            if b not in labels:
                unlabelled += 1
                continue
            origin = mapping.get(b, b) if mapping is not None else b
            if dedupe and origin in seen_origins:
                dup += 1
                continue
            keep.append(i)
        if dedupe:
            for i in keep:
                b = rows[i]["base"]
                seen_origins.add(mapping.get(b, b) if mapping is not None else b)
        cropped = {rows[i]["base"] for i in range(len(rows))} & in_split
        rep = {
            "photos": len(in_split),
            "with_crop": len(cropped),
            "missed": len(in_split - cropped),
            "missed_fraction": round(len(in_split - cropped) / max(1, len(in_split)), 4),
            "used": len(keep),
        }
        if dedupe:
            rep["dropped_duplicates"] = dup
        if unlabelled:
            rep["unlabelled"] = unlabelled
        report[spec.name] = rep
        if keep:
            imgs.append(images[keep])
            labs.append(np.stack([labels[rows[i]["base"]] for i in keep]).astype(np.float32))
            names += [f"{spec.name}/{rows[i]['base']}" for i in keep]
            ds_idx.append(np.full(len(keep), di, dtype=np.int64))
        log(
            f"[data] {spec.name} {split}: {rep['photos']} photos, {rep['with_crop']} with a face-0 crop, "
            f"{rep['missed']} missed by the detector ({100 * rep['missed_fraction']:.2f}%), {rep['used']} used"
            + (f", {dup} dropped as duplicates of an earlier dataset's photo" if dedupe else "")
        )
    assert attributes is not None
    h, w = size[1], size[0]
    return Split(
        split=split,
        images=np.concatenate(imgs) if imgs else np.zeros((0, h, w, 3), np.uint8),
        labels=np.concatenate(labs) if labs else np.zeros((0, len(attributes)), np.float32),
        names=names,
        dataset=np.concatenate(ds_idx) if ds_idx else np.zeros(0, np.int64),
        datasets=[s.name for s in specs],
        attributes=attributes,
        report=report,
    )


def make_fake_crops(out_dir: Path, n_per_split: dict[str, int], shared: Path = DEFAULT_SHARED) -> Path:
    """Write official CelebA aligned images (already 178x218 in the canonical frame) as PNG crops
    plus a `crops.jsonl` manifest: a stand-in for `facetally crop` output, for tests."""
    src_dir = shared / "celeba" / "img_align_celeba"
    part = read_partition(shared / "celeba" / "list_eval_partition.txt")
    files = sorted(os.listdir(src_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for split, n in n_per_split.items():
        chosen = [f for f in files if part.get(f) == SPLITS[split]][:n]
        for f in chosen:
            rel = f"{Path(f).stem}_0.png"
            Image.open(src_dir / f).convert("RGB").save(out_dir / rel)
            lines.append(json.dumps({"crop": rel, "source": str(src_dir / f), "face": 0, "score": 0.99}))
    (out_dir / "crops.jsonl").write_text("\n".join(lines) + "\n")
    return out_dir / "crops.jsonl"


if __name__ == "__main__":
    # Quick look: python3 training/dataset.py celeba=work-data/crops/celeba [more specs]
    specs = [parse_spec(a) for a in sys.argv[1:]]
    for s in ("train", "val", "test"):
        sp = load_split(specs, s, (0, 0, FRAME_W, FRAME_H), (64, 80), REPO_ROOT / "work-data" / "cache", dedupe=s != "train")
        print(s, sp.images.shape, sp.labels.mean(0).round(2)[:8])
