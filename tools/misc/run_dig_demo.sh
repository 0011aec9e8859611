#!/usr/bin/env bash
# DiG on synthetic word crops (`make demo-dig`):
#   1. generate the demo data (data/demo/words: unlabeled/, train/, val/ and
#      train.txt / val.txt) if missing, convert the three splits to LMDBs;
#   2. DiG pretraining on the unlabeled words;
#   3. fine-tune the recogniser on the labelled train words twice for the
#      same budget: from the DiG encoder and from random initialisation;
#   4. test both on the held-out val words and print the accuracies.
# Usage: tools/misc/run_dig_demo.sh WORK_DIR
# Environment: WORDS_DIR (default data/demo/words) to use other word crops
# in the same layout.
set -euo pipefail
WORK_DIR=${1:-work_dirs/dig_demo}
cd "$(dirname "$0")/../.."
WORDS=${WORDS_DIR:-data/demo/words}
PRE_CFG=configs/dig/dig_vit-demo-p8_1xb32-300i_demo-words.py
REC_CFG=configs/dig/dig-recog_vit-demo-p8_1xb32-800i_demo-words.py
LMDB=$WORK_DIR/lmdb

if [ ! -f "$WORDS/train.txt" ]; then
    python tools/misc/generate_demo_data.py --out data/demo
fi
if [ ! -f "$WORDS/train.txt" ] || [ ! -f "$WORDS/val.txt" ]; then
    echo "no word crops in $WORDS (train.txt, val.txt, unlabeled/)" >&2
    exit 1
fi

# Label paths are relative to the words folder or to the split's folder.
img_root() {
    local first
    first=$(head -n 1 "$WORDS/$1.txt" | cut -f 1)
    if [ -f "$WORDS/$first" ]; then echo "$WORDS"; else echo "$WORDS/$1"; fi
}
echo "== 1/4 word crops -> LMDB"
[ -d "$LMDB/unlabeled" ] || python tools/dataset_converters/words_to_lmdb.py \
    "$WORDS/unlabeled" "$LMDB/unlabeled"
for split in train val; do
    [ -d "$LMDB/$split" ] || python tools/dataset_converters/words_to_lmdb.py \
        "$(img_root $split)" "$LMDB/$split" --labels "$WORDS/$split.txt" \
        --max-word-len 15
done

ROOT="train_dataloader.dataset.data_root=$LMDB/"
TEST_ROOT="test_dataloader.dataset.data_root=$LMDB/"
VAL_ROOT="val_dataloader.dataset.data_root=$LMDB/"
echo "== 2/4 DiG pretraining on the unlabeled words"
python tools/train.py "$PRE_CFG" --work-dir "$WORK_DIR/pretrain" --resume \
    --cfg-options "$ROOT"
PRETRAINED=$(cat "$WORK_DIR/pretrain/last_checkpoint")

echo "== 3/4 recogniser from the DiG encoder"
python tools/train.py "$REC_CFG" --work-dir "$WORK_DIR/dig_init" --resume \
    --cfg-options "$ROOT" "$VAL_ROOT" "$TEST_ROOT" \
    "model.backbone.init_cfg.checkpoint=$PRETRAINED"
python tools/test.py "$REC_CFG" "$(cat "$WORK_DIR/dig_init/last_checkpoint")" \
    --work-dir "$WORK_DIR/dig_init" --cfg-options "$TEST_ROOT"

echo "== 4/4 the same recogniser from random initialisation"
python tools/train.py "$REC_CFG" --work-dir "$WORK_DIR/random_init" --resume \
    --cfg-options "$ROOT" "$VAL_ROOT" "$TEST_ROOT" model.backbone.init_cfg=None
python tools/test.py "$REC_CFG" \
    "$(cat "$WORK_DIR/random_init/last_checkpoint")" \
    --work-dir "$WORK_DIR/random_init" --cfg-options "$TEST_ROOT"

python - "$WORK_DIR" <<'PY'
import glob, json, os.path as osp, sys
work = sys.argv[1]
print('\nheld-out word accuracy (val words):')
print(f'{"init":<8} {"word_acc (alnum, no case)":>26} {"word_acc":>9} {"1-NED":>7}')
for name in ('random_init', 'dig_init'):
    runs = sorted(glob.glob(osp.join(work, name, '2*', '2*.json')))
    rows = [json.loads(l) for f in runs for l in open(f) if l.strip()]
    m = [r for r in rows if 'recog/word_acc' in r][-1]
    print(f'{name.split("_")[0]:<8} '
          f'{m["recog/word_acc_ignore_case_symbol"]:>26.3f} '
          f'{m["recog/word_acc"]:>9.3f} {m["recog/1-N.E.D"]:>7.3f}')
PY
