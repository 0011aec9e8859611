# Embedded demo pages (data/demo, 448 x 576) as semantic segmentation with
# page-level tags: SEM/<stem>.png masks (0 background, i + 1 = DocLayNet
# class i, 255 ignored outline band), SEM/{train,val}.txt split lists and
# SEM/{train,val}_tags.json tags, all written by
# docseg_mm.datasets.converters.coco_to_semantic
# (tools/misc/prepare_demo_semseg.py, called by run_slrnet_demo.sh).
# Weak training reads the tags only; validation reads the masks.
dataset_type = 'DocSemSegDataset'
data_root = 'data/demo'
img_scale = (128, 160)  # (w, h) bound: 448 x 576 pages -> 125 x 160
train_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PhotoMetricDistortion', brightness_delta=16,
         contrast_range=(0.8, 1.2), saturation_range=(0.8, 1.2),
         hue_delta=8),
    dict(type='PackWSSSInputs')
]
test_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='mmseg.Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadSemSegAnnotations'),
    dict(type='PackWSSSInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='PNG', seg_map_path='SEM'),
        ann_file='SEM/train.txt',
        tags_file='SEM/train_tags.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='PNG', seg_map_path='SEM'),
        ann_file='SEM/val.txt',
        tags_file='SEM/val_tags.json',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
