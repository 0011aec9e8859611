# AlignSeg's optimisation (train.py): AdamW lr 5e-4, weight decay 0.04 except
# biases / 1-D parameters and the prototypes; StepLR(3 epochs, 0.5).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.04),
    paramwise_cfg=dict(
        flat_decay_mult=0.,
        custom_keys={'decode_head.queries': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='StepLR', step_size=3, gamma=0.5, by_epoch=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
