# AlignSeg on PASCAL VOC (train_voc_config.yml): DINO ViT-S/16 frozen, 5
# prototypes, one decoder layer (3 heads, FFN 768), negative pressure 0.11,
# 1 global + 2 local 224 crops, batch 32, AdamW 5e-4, StepLR(3, 0.5),
# 10 epochs on trainaug. Decoding and crop pairing are the corrected ones;
# set model.decode_head.faithful=True / model.faithful_crop_pairing=True for
# the original's behaviour.
_base_ = [
    '../_base_/models/alignseg_vit-s16.py',
    '../_base_/datasets/pvoc_alignseg.py',
    '../_base_/alignseg_runtime.py',
    '../_base_/schedules/alignseg_adamw_step.py'
]
