# PASCAL VOC 2012 in the Leopart "PVOC" layout (data/PVOC/{images,
# SegmentationClass,SegmentationClassAug,sets}): training on trainaug images
# without masks, 1 global + 2 local 224 px crops (scales 0.5-1 / 0.05-0.25,
# local-global intersection > 5 % of the image), no colour augmentation;
# evaluation on val (1449 images) resized to 448 x 448.
dataset_type = 'PVOCDataset'
data_root = 'data/PVOC/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignSegMultiCrop', num_local=2, global_size=224,
         local_size=224, global_scale=(0.5, 1.0), local_scale=(0.05, 0.25),
         min_intersection=0.05),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('crop_boxes', ),
         meta_keys=('img_path', 'ori_shape')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(448, 448), keep_ratio=False),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='sets/trainaug.txt',
        data_prefix=dict(img_path='images',
                         seg_map_path='SegmentationClassAug'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='sets/val.txt',
        data_prefix=dict(img_path='images', seg_map_path='SegmentationClass'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# (1) AlignSeg's reported protocol, (2) dataset-level Hungarian, both on
# 100 x 100 nearest-resized maps (mask_eval_size).
val_evaluator = [
    dict(type='PerImageClusterIoUMetric', eval_size=100),
    dict(type='MatchedClusterIoUMetric', num_clusters=5,
         matching='hungarian', eval_size=100, prefix='hungarian'),
]
test_evaluator = val_evaluator
