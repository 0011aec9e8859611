# The original SelfDocSeg optimisation: LARS lr 0.2, momentum 0.9, weight
# decay 5e-4 and trust coefficient 1e-3 on all parameters (BN and biases
# included), cosine decay per epoch over 800 epochs, no warm-up.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='mmpretrain.LARS', lr=0.2, momentum=0.9,
                   weight_decay=5e-4, eta=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=800, by_epoch=True, begin=0,
         end=800, eta_min=0.)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)
auto_scale_lr = dict(enable=False, base_batch_size=8)
