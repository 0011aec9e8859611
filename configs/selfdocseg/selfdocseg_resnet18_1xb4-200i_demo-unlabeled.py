# Demo-size SelfDocSeg pretraining on the embedded unlabeled pages
# (data/demo/unlabeled, `make demo`): ResNet-18 at half width, 288x384 views,
# 200 iterations, kNN monitoring on the page-type folders.
_base_ = ['./selfdocseg_resnet50_1xb8-coslr-800e_doclaynet.py']

data_root = 'data/demo/'
page_size = (288, 384)
grid_size = (36, 48)  # C5 (stride 32) upsampled x4 = page / 8
train_pipeline = [
    dict(type='LoadTiffPage'),
    dict(type='PseudoLayoutMask', work_size=page_size, resize_img=True,
         threshold=239, kernel_shape='rect', kernel_size=3, iterations=1,
         objects_on='grid'),
    dict(type='LayoutMaskToGrid', grid_size=grid_size, to_tensor=True),
    dict(type='mmpretrain.MultiView', num_views=[1, 1],
         transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=('layout_mask', 'object_masks')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, data_prefix='unlabeled/',
                 pipeline=train_pipeline))

model = dict(
    # stem_channels as in mmdet's ResNet (there it follows base_channels).
    backbone=dict(depth=18, base_channels=32, stem_channels=32,
                  norm_cfg=dict(type='BN')),
    neck=dict(in_channels=256, hid_channels=1024, out_channels=128),
    head=dict(predictor=dict(in_channels=128, hid_channels=1024,
                             out_channels=128)),
    layout_head=dict(in_channels=512))

max_iters = 200
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters,
         by_epoch=False, begin=0, end=max_iters, eta_min=0.)
]

# kNN top-1 on the page-type folders: even-indexed pages form the bank,
# odd-indexed ones the queries.
knn_pipeline = [
    dict(type='LoadTiffPage'),
    dict(type='mmpretrain.Resize', scale=page_size),
    dict(type='mmpretrain.PackInputs'),
]
knn_loader = dict(batch_size=8, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
knn_set = dict(type='RVLCDIPDataset', data_root=data_root + 'page_types',
               classes_from_folders=True, extensions=('.png', ),
               pipeline=knn_pipeline)
custom_hooks = [
    dict(type='KNNMonitorHook', k=20, temperature=0.1, by_epoch=False,
         interval=100,
         bank_dataloader=dict(**knn_loader, dataset=dict(
             **knn_set, indices=list(range(0, 100, 2)))),
         query_dataloader=dict(**knn_loader, dataset=dict(
             **knn_set, indices=list(range(1, 100, 2)))))
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100,
                    max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
find_unused_parameters = False
