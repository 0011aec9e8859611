# Plain BYOL (mmpretrain's) on the same DocLayNet pages and schedule: the
# "BYOL + Mask R-CNN" row. Same views (resize + colour), no layout objects.
_base_ = ['./selfdocseg_resnet50_1xb8-coslr-800e_doclaynet.py']

train_pipeline = [
    dict(type='LoadTiffPage'),
    dict(type='mmpretrain.Resize', scale=(512, 640)),
    dict(type='mmpretrain.MultiView', num_views=[1, 1],
         transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    _delete_=True,
    _scope_='mmpretrain',
    type='BYOL',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='ResNet', depth=50, out_indices=(3, ),
                  norm_cfg=dict(type='SyncBN'), zero_init_residual=False),
    neck=dict(type='NonLinearNeck', in_channels=2048, hid_channels=4096,
              out_channels=256, num_layers=2, with_bias=False,
              with_last_bias=True, with_last_bn=False, with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss', shift_factor=0.,
                  scale_factor=1.),
        predictor=dict(type='NonLinearNeck', in_channels=256,
                       hid_channels=4096, out_channels=256, num_layers=2,
                       with_bias=False, with_last_bias=True,
                       with_last_bn=False, with_avg_pool=False)),
    base_momentum=0.01)
