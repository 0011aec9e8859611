#!/usr/bin/env bash
# Generate the embedded demo document set, train, evaluate and draw predictions.
# Usage: tools/misc/run_demo.sh CONFIG WORK_DIR
# An interrupted run resumes from its last checkpoint.
set -euo pipefail
CONFIG=$1
WORK_DIR=$2
cd "$(dirname "$0")/../.."

python tools/misc/generate_demo_data.py --out data/demo
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR" --resume
CKPT=$(cat "$WORK_DIR/last_checkpoint")
python tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR" --show-dir vis
python tools/misc/summarize_run.py "$WORK_DIR"
