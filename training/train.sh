#!/usr/bin/env bash
# Train the shipped CelebA attribute model from canonical crops into models/celeba-attributes/
# (attributes.onnx, attributes.json, MODEL_CARD.md). Assumes `facetally crop` has already written
#   work-data/crops/celeba/crops.jsonl     (from ../shared/data/celeba/img_align_celeba)
#   work-data/crops/celeba-hq/crops.jsonl  (from ../shared/data/celeba-hq/images)
# Uses Debian's PyTorch (/usr/bin/python3), CPU only. Extra arguments go to training/train.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
OUT=${OUT:-models/celeba-attributes}
start=$(date +%s)
for d in celeba celeba-hq; do
  [[ -s work-data/crops/$d/crops.jsonl ]] || { echo "missing work-data/crops/$d/crops.jsonl (run facetally crop first)" >&2; exit 1; }
done
"$PY" training/train.py \
  --data celeba=work-data/crops/celeba \
  --data celeba-hq=work-data/crops/celeba-hq \
  --epochs "${EPOCHS:-30}" --time-budget "${TIME_BUDGET:-2280}" --batch-size 128 --lr 3e-3 --weight-decay 5e-4 \
  --width 64 --height 80 --region 0,0,178,218 \
  --widths 32,64,128,256 --depths 1,1,1,1 \
  --flip-tta --seed 0 --threads 2 --out "$OUT" "$@"
"$PY" training/model_card.py "$OUT/attributes.json" "$OUT/MODEL_CARD.md"
end=$(date +%s)
echo "train.sh: done in $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s -> $OUT"
