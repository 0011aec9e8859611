#!/usr/bin/env bash
# AlignSeg on the embedded demo pages (`make demo-alignseg`):
#   1. generate the demo set (data/demo) if missing, and its semantic masks
#      and SEM/{train,val}.txt split lists if the generator did not;
#   2. SelfDocSeg self-supervised pretraining of a small ViT on data/demo/unlabeled
#      (no pretrained ViT can be downloaded);
#   3. AlignSeg trained without labels on the train pages, ViT frozen;
#   4. evaluation on the val pages' masks: AlignSeg and k-means on the same
#      frozen tokens under the three protocols, printed side by side.
# Usage: [SEED=N] tools/misc/run_alignseg_demo.sh WORK_DIR
# SEED (optional) seeds the AlignSeg stage only (default: the config's);
# its run goes to WORK_DIR/alignseg_seedN and reuses the pretrained ViT.
# A training step whose final checkpoint exists is skipped when run again
# (resuming would still replay the data loader over every finished
# iteration); otherwise it resumes from its last checkpoint. Delete WORK_DIR
# to start over.
set -euo pipefail
WORK_DIR=${1:-work_dirs/alignseg_demo}
cd "$(dirname "$0")/../.."
SSL_CFG=configs/alignseg/selfdocseg_vit-t16_1xb8-60i_demo-unlabeled.py
CFG=configs/alignseg/alignseg_vit-t16-selfdocseg-pre_1xb16-200i_demo-doc-pages.py
SSL_DIR=$WORK_DIR/selfdocseg_pretrain
SEED=${SEED:-}
SEG_DIR=$WORK_DIR/alignseg${SEED:+_seed$SEED}
VIT=$SSL_DIR/iter_60.pth

python tools/misc/generate_demo_data.py --out data/demo
for split in train val; do
    if [ ! -f "data/demo/SEM/${split}_tags.json" ]; then
        python tools/dataset_converters/coco_to_semantic.py \
            "data/demo/COCO/$split.json" data/demo/SEM \
            --tags "data/demo/SEM/${split}_tags.json"
    fi
done
python - <<'PY'
import json
import os.path as osp
for split in ('train', 'val'):
    path = f'data/demo/SEM/{split}.txt'
    if osp.isfile(path):
        continue
    with open(f'data/demo/COCO/{split}.json') as f:
        names = [osp.splitext(i['file_name'])[0] for i in json.load(f)['images']]
    with open(path, 'w') as f:
        f.write(''.join(n + '\n' for n in names))
PY

stage_done() { echo "== $1 took $SECONDS s"; SECONDS=0; }
stage_done "data"
echo "== 1/3 SelfDocSeg pretraining of the ViT on the unlabeled pages"
if [ ! -f "$VIT" ]; then
    python tools/train.py "$SSL_CFG" --work-dir "$SSL_DIR" --resume
fi
stage_done "1/3 pretraining"
echo "== 2/3 AlignSeg training (no labels, frozen ViT)"
if [ ! -f "$SEG_DIR/iter_200.pth" ]; then
    python tools/train.py "$CFG" --work-dir "$SEG_DIR" --resume --no-validate \
        --cfg-options model.backbone.init_cfg.checkpoint="$VIT" \
        ${SEED:+randomness.seed=$SEED}
fi
stage_done "2/3 AlignSeg training"
echo "== 3/3 evaluation: AlignSeg vs k-means on the same frozen ViT"
python tools/test.py "$CFG" "$(cat "$SEG_DIR/last_checkpoint")" \
    --work-dir "$SEG_DIR" --show-dir vis \
    --cfg-options model.backbone.init_cfg.checkpoint="$VIT"
python tools/misc/summarize_alignseg_demo.py "$SEG_DIR"
stage_done "3/3 evaluation"
