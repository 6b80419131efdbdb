#!/usr/bin/env bash
# Train the shipped CelebA attribute model (v4) from canonical crops into models/celeba-attributes/
# (attributes.onnx, attributes.json, MODEL_CARD.md). Four stages, each skipped when its output exists
# (delete work-data/v4/<stage> to redo one):
#   0. crops: `facetally crop` writes work-data/crops/{celeba,celeba-hq}/crops.jsonl from ../shared
#      (the same decode -> detect -> align code the tool runs; about 15-20 min on 2 cores).
#   1. own:  the compact ResNet from scratch (the v3 recipe: 64x80, 27 epochs or OWN_BUDGET s).
#   2. dlib: dlib's face-recognition ResNet, pretrained on ~3M faces (weights read from
#      node_modules/@vladmandic/face-api/model, never committed), fine-tuned at DLIB_W x DLIB_H for
#      DLIB_EPOCHS epochs (20) or DLIB_BUDGET s (3300), whichever ends first: 20 epochs took 52 min at
#      184 img/s in bfloat16 on 2 cores (AVX-512 BF16 CPU); in float32 on an AVX2-only CPU expect about twice that.
#      Exported without mirror averaging: averaging the mirror image doubled its cost for +0.05 points of the
#      ensemble's validation accuracy (training/SEARCH_LOG.md, "dlib member without mirror averaging").
#   3. ensemble: training/ensemble.py averages the two inside one ONNX graph; weight and thresholds on validation.
#   4. student (DISTIL=1): the compact ResNet again, trained on labels + the ensemble's probabilities
#      (training/train.py --teacher); shipped instead of the ensemble only if it is as accurate on validation.
# Prints the time of each stage and the total. Uses Debian's PyTorch (/usr/bin/python3), CPU only; bfloat16
# autocast where the CPU has it. Extra arguments go to every training/train.py call.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
OUT=${OUT:-models/celeba-attributes}
W=work-data/v4
SHARED=${FACETALLY_SHARED:-../shared}
DATA=(--data celeba=work-data/crops/celeba --data celeba-hq=work-data/crops/celeba-hq)
start=$(date +%s)
stage() { echo "train.sh: $1 after $(( $(date +%s) - start )) s"; }

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
stage "crops ready"

if [[ ! -s $W/own/teacher/probs.f32 ]]; then
  "$PY" training/train.py "${DATA[@]}" \
    --epochs "${OWN_EPOCHS:-27}" --time-budget "${OWN_BUDGET:-4800}" --batch-size 128 --lr 3e-3 --weight-decay 5e-4 \
    --width 64 --height 80 --region 0,0,178,218 --widths 32,64,128,256 --depths 1,1,1,1 \
    --flip-tta --seed 0 --threads 2 --precision auto --out $W/own/model --save-state $W/own/state \
    --teacher-out $W/own/teacher --name celeba-attributes-own "$@"
fi
stage "own network trained"

if [[ ! -s $W/dlib/teacher/probs.f32 ]]; then
  "$PY" training/train.py "${DATA[@]}" --arch dlib \
    --epochs "${DLIB_EPOCHS:-20}" --time-budget "${DLIB_BUDGET:-3300}" --batch-size 64 --lr 1e-3 --backbone-lr-mult 0.3 \
    --weight-decay 5e-4 --warmup 0.05 --dropout 0.2 \
    --width "${DLIB_W:-112}" --height "${DLIB_H:-136}" --region 0,0,178,218 \
    --seed 0 --threads 2 --precision auto --out $W/dlib/model --save-state $W/dlib/state \
    --teacher-out $W/dlib/teacher --name celeba-attributes-dlib "$@"
fi
stage "dlib network fine-tuned"

"$PY" training/ensemble.py "${DATA[@]}" --member $W/own/model:$W/own/teacher --member $W/dlib/model:$W/dlib/teacher \
  --out $W/ensemble/model --teacher-out $W/ensemble/teacher
stage "ensemble built"

SHIP=$W/ensemble/model
if [[ "${DISTIL:-0}" == 1 ]]; then
  "$PY" training/train.py "${DATA[@]}" --teacher $W/ensemble/teacher --distill-alpha 0.7 \
    --epochs "${OWN_EPOCHS:-27}" --time-budget "${OWN_BUDGET:-4800}" --batch-size 128 --lr 3e-3 --weight-decay 5e-4 \
    --width 64 --height 80 --region 0,0,178,218 --widths 32,64,128,256 --depths 1,1,1,1 \
    --flip-tta --seed 0 --threads 2 --precision auto --out $W/student/model --save-state $W/student/state \
    --name celeba-attributes-student "$@"
  stage "student distilled"
  SHIP=$("$PY" -c "import json,sys; a,b=(json.load(open(p+'/attributes.json'))['validation']['mean_accuracy'] for p in sys.argv[1:]); print(sys.argv[2] if b>=a else sys.argv[1])" $W/ensemble/model $W/student/model)
fi
mkdir -p "$OUT"
cp "$SHIP/attributes.onnx" "$SHIP/attributes.json" "$OUT/"
"$PY" training/model_card.py "$OUT/attributes.json" "$OUT/MODEL_CARD.md"
end=$(date +%s)
echo "train.sh: shipped $SHIP; done in $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s -> $OUT"
