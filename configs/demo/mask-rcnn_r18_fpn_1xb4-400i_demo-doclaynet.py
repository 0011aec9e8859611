# Mask R-CNN trained from scratch on the embedded synthetic DocLayNet-style
# pages, sized to finish on 2 CPU cores in minutes (`make demo`).
_base_ = [
    '../_base_/models/mask-rcnn_r18_fpn_cpu.py',
    '../_base_/datasets/demo_doclaynet.py',
    '../_base_/schedules/schedule_iter_adamw.py',
    '../_base_/default_runtime.py'
]

max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters,
         eta_min=1e-5)
]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100,
                    max_keep_ckpts=2),
    visualization=dict(type='mmdet.DetVisualizationHook', score_thr=0.5))
log_processor = dict(by_epoch=False)
