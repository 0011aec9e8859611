# SLRNet's schedule: SGD (nesterov) lr 5e-4, x1/x2/x10/x20 multipliers for
# backbone weights / biases / new weights / biases, no decay on biases; the
# seg loss and the cosine decay start after 6 epochs (0-based epoch >
# pretrain_epochs=5), cosine period 25 epochs (so it stops short of 0).
max_epochs = 30
seg_loss_start_epoch = 6
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='BackboneHeadOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=5e-4, momentum=0.9, nesterov=True,
                   weight_decay=5e-4),
    paramwise_cfg=dict(backbone_lr_mult=1., backbone_bias_lr_mult=2.,
                       head_lr_mult=10., head_bias_lr_mult=20.,
                       bias_decay_mult=0.))
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0,
         end=seg_loss_start_epoch),
    dict(type='CosineAnnealingLR', T_max=max_epochs - seg_loss_start_epoch + 1,
         eta_min=0., by_epoch=True, begin=seg_loss_start_epoch,
         end=max_epochs, convert_to_iter_based=True),
]
custom_hooks = [
    dict(type='SegLossWarmupHook', start_epoch=seg_loss_start_epoch)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
