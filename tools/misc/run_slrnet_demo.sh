#!/usr/bin/env bash
# SLRNet on the embedded demo pages (`make demo-slrnet`):
#   1. generate the demo set (data/demo) and, if missing, its semantic masks,
#      page tags and split lists (data/demo/SEM);
#   2. train SLRNet from the page-level tags only, the same network with the
#      full pixel labels, and a CAM baseline (same backbone and budget);
#   3. evaluate each on the val pages' pixel masks (mmseg IoUMetric) and
#      print the mIoUs side by side.
# Usage: tools/misc/run_slrnet_demo.sh WORK_DIR
# Training resumes from its last checkpoint when run again.
set -euo pipefail
WORK_DIR=${1:-work_dirs/slrnet_demo}
cd "$(dirname "$0")/../.."
CFG_DIR=configs/slrnet
WEAK=$CFG_DIR/slrnet_r18-d16_1xb4-300i_demo-doc-tags.py
FULL=$CFG_DIR/slrnet_r18-d16_1xb4-300i_demo-doc-full.py
CAM=$CFG_DIR/cam_r18-d16_1xb4-300i_demo-doc-tags.py

python tools/misc/generate_demo_data.py --out data/demo
python tools/misc/prepare_demo_semseg.py data/demo

run() {  # name config
    echo "== $1"
    python tools/train.py "$2" --work-dir "$WORK_DIR/$1" --resume --no-validate
    python tools/test.py "$2" "$(cat "$WORK_DIR/$1/last_checkpoint")" \
        --work-dir "$WORK_DIR/$1"
}
run tags "$WEAK"
run full "$FULL"
run cam "$CAM"
python tools/misc/summarize_slrnet_demo.py full="$WORK_DIR/full" \
    tags="$WORK_DIR/tags" cam="$WORK_DIR/cam"
