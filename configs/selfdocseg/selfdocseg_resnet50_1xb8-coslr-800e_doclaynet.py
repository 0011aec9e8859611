# SelfDocSeg pretraining of a random ResNet-50 on DocLayNet's page images
# (the original: every file of PNG/, batch 8 on one GPU, 800 epochs).
_base_ = [
    '../_base_/datasets/selfdocseg_pages.py',
    '../_base_/schedules/selfdocseg_lars_coslr_800e.py',
    '../_base_/default_runtime.py'
]

data_root = 'data/DocLayNet/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix='PNG/'))

model = dict(
    type='SelfDocSeg',
    backbone=dict(type='mmpretrain.ResNet', depth=50, out_indices=(3, ),
                  norm_cfg=dict(type='SyncBN'), zero_init_residual=False),
    neck=dict(type='mmpretrain.NonLinearNeck', in_channels=2048,
              hid_channels=4096, out_channels=256, num_layers=2,
              with_bias=False, with_last_bias=True, with_last_bn=False,
              with_avg_pool=False),
    head=dict(
        type='mmpretrain.LatentPredictHead',
        loss=dict(type='mmpretrain.CosineSimilarityLoss', shift_factor=0.,
                  scale_factor=1.),
        predictor=dict(type='mmpretrain.NonLinearNeck', in_channels=256,
                       hid_channels=4096, out_channels=256, num_layers=2,
                       with_bias=False, with_last_bias=True,
                       with_last_bn=False, with_avg_pool=False)),
    layout_head=dict(type='LayoutMaskHead', in_channels=4096, alpha=0.25,
                     gamma=2.0, faithful=False),
    base_momentum=0.01,
    feat_upsample=4)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    visualization=dict(_delete_=True, type='mmpretrain.VisualizationHook',
                       enable=False))
find_unused_parameters = True
