# PASCAL VOC 2012 + SBD ("train_aug", 10,582 images) for weakly supervised
# training: image labels are derived from each mask before the crop
# (ImageLabelsFromSegMap); the masks themselves are not used in training.
# Prepare with tools/dataset_converters/voc_sbd_wsss.py (SBD .mat -> png).
dataset_type = 'mmseg.PascalVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 321
train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSemSegAnnotations', num_classes=21),
    dict(type='ImageLabelsFromSegMap', num_classes=21),
    dict(type='RandomResizedCropWithSegMap', scale=crop_size,
         crop_ratio_range=(0.9, 1.0), interpolation='bicubic'),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3,
         saturation=0.3, hue=0.1),
    dict(type='PackWSSSInputs')
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSemSegAnnotations', num_classes=21),
    dict(type='ImageLabelsFromSegMap', num_classes=21),
    dict(type='PackWSSSInputs')
]
# SLRNet's test scales, each with its horizontal flip (PIL bicubic rescale)
tta_scales = [1.0, 1.5, 2.0, 0.5, 0.75]
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.TestTimeAug',
         transforms=[
             [dict(type='mmseg.Resize', scale_factor=r, keep_ratio=True,
                   interpolation='bicubic') for r in tta_scales],
             [dict(type='mmseg.RandomFlip', prob=0., direction='horizontal'),
              dict(type='mmseg.RandomFlip', prob=1., direction='horizontal')],
             [dict(type='LoadSemSegAnnotations', num_classes=21)],
             [dict(type='ImageLabelsFromSegMap', num_classes=21)],
             [dict(type='PackWSSSInputs')]
         ])
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClassAug'),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
