#!/usr/bin/env bash
# DocSAM on the embedded demo pages (`make demo-docsam`):
#   1. generate the synthetic document set (data/demo) if missing;
#   2. train the CPU-sized DocSAM on two class-name sets at once (the 11
#      DocLayNet names and a coarse text/table/figure relabelling);
#   3. evaluate with tools/test.py: COCO bbox/segm mAP, mIoU and mAF per
#      dataset (= per class set) and their mean.
# Usage: tools/misc/run_docsam_demo.sh WORK_DIR
# Training resumes from its last checkpoint when run again.
set -euo pipefail
WORK_DIR=${1:-work_dirs/docsam_demo}
cd "$(dirname "$0")/../.."
CFG=configs/docsam/docsam_swin-n_1xb2-400i_demo-two-classsets.py

python tools/misc/generate_demo_data.py --out data/demo --workers 2
python tools/train.py "$CFG" --work-dir "$WORK_DIR" --resume --no-validate
python tools/test.py "$CFG" "$(cat "$WORK_DIR/last_checkpoint")" \
    --work-dir "$WORK_DIR"
