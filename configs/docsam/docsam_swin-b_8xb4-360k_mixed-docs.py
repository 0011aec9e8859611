# DocSAM-Base trained on the 57 heterogeneous document datasets at once
# (8 GPUs x 4 images, 640x640 patches, 360k iterations).
_base_ = [
    '../_base_/models/docsam_swin-b.py',
    '../_base_/datasets/docsam_mixed_docs.py',
    '../_base_/schedules/docsam_adamw_cos_360k.py',
    '../_base_/default_runtime.py'
]
# The original starts the backbone from HF's COCO-panoptic Mask2Former; here
# the usual ImageNet-22k Swin-B (384) weights in original Swin layout.
pretrained = ('https://github.com/SwinTransformer/storage/releases/download/'
              'v1.0.0/swin_base_patch4_window12_384_22k.pth')
model = dict(
    backbone=dict(
        convert_weights=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    # the original predicts test pages with a thumbnail + sliding windows
    test_cfg=dict(mode='slide'))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=5000,
        max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
