# Detectron2 mask_rcnn_R_50_FPN_3x as used by SelfDocSeg: SGD lr 0.0025 for
# batch 2 (0.02 for 16), momentum 0.9, weight decay 1e-4, 1000-iteration
# linear warm-up from 1e-3, steps at 225k and 275k of 300k.
max_iters = 300000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=20000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.0025, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[225000, 275000], gamma=0.1)
]
auto_scale_lr = dict(enable=False, base_batch_size=2)
