# Row 1 of SelfDocSeg's table: Mask R-CNN R50-FPN on DocLayNet from random
# initialisation (all stages and BatchNorm layers trained).
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/doclaynet_instance.py',
    '../_base_/schedules/schedule_d2_300k.py',
    '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    roi_head=dict(
        bbox_head=dict(num_classes=11), mask_head=dict(num_classes=11)))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=20000,
                    max_keep_ckpts=3, save_best='coco/bbox_mAP'),
    visualization=dict(type='mmdet.DetVisualizationHook', score_thr=0.6))
log_processor = dict(by_epoch=False)
