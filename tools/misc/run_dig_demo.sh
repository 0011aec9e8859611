#!/usr/bin/env bash
# DiG on rendered word images (`make demo-dig`):
#   1. render the demo words (data/demo/rendered_words: 20k labelled, 1k
#      held-out, 10k unlabeled; reused when identical) and convert them to
#      LMDBs, plus the typeset pages' held-out word crops
#      (data/demo/words/val.txt, made by `make demo`) when present;
#   2. DiG pretraining on the unlabeled (and training) words, labels unused;
#   3. fine-tune the recogniser on the labelled words twice for the same
#      budget: from the DiG encoder and from random initialisation;
#   4. test both on the held-out rendered words (and the page crops) and
#      print the accuracies side by side.
# Usage: tools/misc/run_dig_demo.sh WORK_DIR
# Environment: WORDS_DIR (default data/demo/rendered_words) for other words
# in the same layout; PAGE_WORDS_DIR (default data/demo/words) for the
# second test set.
set -euo pipefail
WORK_DIR=${1:-work_dirs/dig_demo}
cd "$(dirname "$0")/../.."
WORDS=${WORDS_DIR:-data/demo/rendered_words}
PAGE_WORDS=${PAGE_WORDS_DIR:-data/demo/words}
PRE_CFG=configs/dig/dig_vit-demo-p32x4_1xb32-400i_rendered-words.py
REC_CFG=configs/dig/dig-recog_vit-demo-p32x4_1xb32-2500i_rendered-words.py
LMDB=$WORK_DIR/lmdb
START=$SECONDS

echo "== 1/4 rendered words -> LMDB"
if [ -z "${WORDS_DIR:-}" ]; then
    python tools/misc/generate_demo_words.py --out "$WORDS"
fi
for f in train.txt test.txt; do
    if [ ! -f "$WORDS/$f" ]; then
        echo "no $WORDS/$f (layout: train/ test/ unlabeled/ train.txt test.txt)" >&2
        exit 1
    fi
done
# New words (their meta.json differs from the one the LMDBs were built
# from): rebuild the LMDBs and retrain (--resume would continue old runs).
if [ -f "$WORDS/meta.json" ] && ! cmp -s "$WORDS/meta.json" "$LMDB/words_meta.json"; then
    rm -rf "$LMDB" "$WORK_DIR/pretrain" "$WORK_DIR/dig_init" \
        "$WORK_DIR/random_init"
fi
mkdir -p "$LMDB"
[ -d "$LMDB/unlabeled" ] || python tools/dataset_converters/words_to_lmdb.py \
    "$WORDS/unlabeled" "$LMDB/unlabeled" --no-check
for split in train test; do
    [ -d "$LMDB/$split" ] || python tools/dataset_converters/words_to_lmdb.py \
        "$WORDS" "$LMDB/$split" --labels "$WORDS/$split.txt" \
        --max-word-len 15 --no-check
done
[ -f "$WORDS/meta.json" ] && cp "$WORDS/meta.json" "$LMDB/words_meta.json"
TEST_SETS="['test']"
TEST_NAMES="['rendered']"
if [ -f "$PAGE_WORDS/val.txt" ]; then
    first=$(head -n 1 "$PAGE_WORDS/val.txt" | cut -f 1)
    root=$PAGE_WORDS
    [ -f "$PAGE_WORDS/$first" ] || root=$PAGE_WORDS/val
    # re-made pages (val.txt newer than the LMDB): rebuild
    if [ "$PAGE_WORDS/val.txt" -nt "$LMDB/page_val" ]; then rm -rf "$LMDB/page_val"; fi
    [ -d "$LMDB/page_val" ] || python tools/dataset_converters/words_to_lmdb.py \
        "$root" "$LMDB/page_val" --labels "$PAGE_WORDS/val.txt" \
        --max-word-len 15
    TEST_SETS="['test','page_val']"
    TEST_NAMES="['rendered','pages']"
else
    echo "(no $PAGE_WORDS/val.txt: run 'make demo' to test on the pages' word crops too)"
fi
echo "   $((SECONDS - START)) s"

ROOT="train_dataloader.dataset.data_root=$LMDB/"
VAL_ROOT="val_dataloader.dataset.data_root=$LMDB/"
TEST=("test_dataloader.dataset.data_root=$LMDB/"
      "test_dataloader.dataset.ann_file=$TEST_SETS"
      "test_dataloader.dataset.dataset_names=$TEST_NAMES")
echo "== 2/4 DiG pretraining on the unlabeled words"
python tools/train.py "$PRE_CFG" --work-dir "$WORK_DIR/pretrain" --resume \
    --cfg-options "$ROOT"
PRETRAINED=$(cat "$WORK_DIR/pretrain/last_checkpoint")
echo "   $((SECONDS - START)) s"

echo "== 3/4 recogniser from the DiG encoder"
python tools/train.py "$REC_CFG" --work-dir "$WORK_DIR/dig_init" --resume \
    --cfg-options "$ROOT" "$VAL_ROOT" \
    "model.backbone.init_cfg.checkpoint=$PRETRAINED"
python tools/test.py "$REC_CFG" "$(cat "$WORK_DIR/dig_init/last_checkpoint")" \
    --work-dir "$WORK_DIR/dig_init" --cfg-options "${TEST[@]}"
echo "   $((SECONDS - START)) s"

echo "== 4/4 the same recogniser from random initialisation"
python tools/train.py "$REC_CFG" --work-dir "$WORK_DIR/random_init" --resume \
    --cfg-options "$ROOT" "$VAL_ROOT" model.backbone.init_cfg=None
python tools/test.py "$REC_CFG" \
    "$(cat "$WORK_DIR/random_init/last_checkpoint")" \
    --work-dir "$WORK_DIR/random_init" --cfg-options "${TEST[@]}"
echo "   $((SECONDS - START)) s"

echo
echo "held-out word accuracy (same budget, same data; rendered = held-out rendered"
echo "words, pages = word crops of the typeset demo pages):"
python tools/misc/summarize_dig_demo.py random="$WORK_DIR/random_init" \
    DiG="$WORK_DIR/dig_init"
echo "total $((SECONDS - START)) s"
