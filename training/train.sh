#!/usr/bin/env bash
# Train the shipped CelebA attribute model from canonical crops into models/celeba-attributes/
# (attributes.onnx, attributes.json, MODEL_CARD.md), from scratch: first `facetally crop` writes
#   work-data/crops/celeba/crops.jsonl     (from ../shared/data/celeba/img_align_celeba)
#   work-data/crops/celeba-hq/crops.jsonl  (from ../shared/data/celeba-hq/images)
# (skipped when they exist; about 15 min on 2 cores), then PyTorch trains for EPOCHS epochs (default 27; more
# overfit: 80 epochs gave a lower validation accuracy, see SEARCH_LOG run4) or TIME_BUDGET seconds (default 4800),
# whichever ends first. With bfloat16 on a CPU that has it, 27 epochs take about half an hour on 2 cores; in float32
# (an AVX2-only CPU, 186 img/s measured) about 70 min, and the crops about 13 min.
# Uses Debian's PyTorch (/usr/bin/python3), CPU only. Extra arguments go to training/train.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
OUT=${OUT:-models/celeba-attributes}
start=$(date +%s)
SHARED=${FACETALLY_SHARED:-../shared}
# Canonical crops, made by the same decode -> detect -> align code the tool runs (skipped when present).
[[ -f dist/cli/main.js ]] || npm run build
if [[ ! -s work-data/crops/celeba/crops.jsonl ]]; then
  node bin/facetally.js crop "$SHARED/data/celeba/img_align_celeba" --out work-data/crops/celeba -q --overwrite
fi
if [[ ! -s work-data/crops/celeba-hq/crops.jsonl ]]; then
  node bin/facetally.js crop "$SHARED/data/celeba-hq/images" --out work-data/crops/celeba-hq -q --shard 0/2 --overwrite &
  node bin/facetally.js crop "$SHARED/data/celeba-hq/images" --out work-data/crops/celeba-hq -q --shard 1/2 --overwrite &
  wait
  cat work-data/crops/celeba-hq/crops.shard0.jsonl work-data/crops/celeba-hq/crops.shard1.jsonl > work-data/crops/celeba-hq/crops.jsonl
fi
echo "train.sh: crops ready after $(( $(date +%s) - start )) s"

"$PY" training/train.py \
  --data celeba=work-data/crops/celeba \
  --data celeba-hq=work-data/crops/celeba-hq \
  --epochs "${EPOCHS:-27}" --time-budget "${TIME_BUDGET:-4800}" --batch-size 128 --lr 3e-3 --weight-decay 5e-4 \
  --width 64 --height 80 --region 0,0,178,218 \
  --widths 32,64,128,256 --depths 1,1,1,1 \
  --flip-tta --seed 0 --threads 2 --precision auto --out "$OUT" "$@"
"$PY" training/model_card.py "$OUT/attributes.json" "$OUT/MODEL_CARD.md"
end=$(date +%s)
echo "train.sh: done in $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s -> $OUT"
