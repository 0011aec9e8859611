#!/usr/bin/env bash
# The `make demo` job on the embedded demo pages:
#   1. generate the synthetic document set (data/demo);
#   2. train Mask R-CNN from random initialisation, evaluate, draw predictions;
#   3. SelfDocSeg self-supervised pretraining on the unlabeled pages, export
#      its encoder;
#   4. fine-tune the same Mask R-CNN from that encoder, evaluate, draw;
#   5. print both results side by side.
# Usage: tools/misc/run_demo.sh WORK_DIR
# Every training step resumes from its last checkpoint when run again.
set -euo pipefail
WORK_DIR=${1:-work_dirs/demo}
cd "$(dirname "$0")/../.."

DEMO_CFG=configs/demo/mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py
SSL_CFG=configs/selfdocseg/selfdocseg_resnet18_1xb4-200i_demo-unlabeled.py
FT_CFG=configs/selfdocseg/mask-rcnn_r18-selfdocseg-pre_fpn_1xb4-400i_demo-doclaynet.py
RANDOM_DIR=$WORK_DIR/random_init
SSL_DIR=$WORK_DIR/selfdocseg_pretrain
FT_DIR=$WORK_DIR/selfdocseg_init
ENCODER=$SSL_DIR/encoder.pth

python tools/misc/generate_demo_data.py --out data/demo --workers 2

echo "== 1/3 Mask R-CNN from random initialisation"
python tools/train.py "$DEMO_CFG" --work-dir "$RANDOM_DIR" --resume --no-validate
python tools/test.py "$DEMO_CFG" "$(cat "$RANDOM_DIR/last_checkpoint")" \
    --work-dir "$RANDOM_DIR" --show-dir vis

echo "== 2/3 SelfDocSeg pretraining on the unlabeled pages"
python tools/train.py "$SSL_CFG" --work-dir "$SSL_DIR" --resume
python tools/model_converters/selfdocseg_export_encoder.py \
    "$(cat "$SSL_DIR/last_checkpoint")" "$ENCODER"

echo "== 3/3 Mask R-CNN fine-tuned from the SelfDocSeg encoder"
python tools/train.py "$FT_CFG" --work-dir "$FT_DIR" --resume --no-validate \
    --cfg-options model.backbone.init_cfg.checkpoint="$ENCODER"
python tools/test.py "$FT_CFG" "$(cat "$FT_DIR/last_checkpoint")" \
    --work-dir "$FT_DIR" --show-dir vis \
    --cfg-options model.backbone.init_cfg.checkpoint="$ENCODER"

python tools/misc/summarize_run.py "$RANDOM_DIR" "$FT_DIR" \
    --names random-init selfdocseg-init
