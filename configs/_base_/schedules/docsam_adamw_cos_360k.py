# DocSAM's main schedule: AdamW (lr 4e-5, wd 1e-2, no param-wise rules),
# cosine to 0 over 360k iterations without warm-up, global batch 32.
max_iters = 360000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=20000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=1e-2))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        eta_min=0.0)
]
auto_scale_lr = dict(enable=False, base_batch_size=32)
