# AlignSeg on COCO-Stuff (train_coco_config.yml): as the VOC recipe with
# negative pressure 0.10 and 100 epochs (the config's value; the README
# does not say how long the released model trained) over images/train2017.
# Evaluated on COCO-Stuff-27 val.
_base_ = [
    '../_base_/models/alignseg_vit-s16.py',
    '../_base_/datasets/coco-stuff27_alignseg.py',
    '../_base_/alignseg_runtime.py',
    '../_base_/schedules/alignseg_adamw_step.py'
]
model = dict(decode_head=dict(loss_corr=dict(negative_pressure=0.10)))
train_cfg = dict(max_epochs=100, val_interval=100)
