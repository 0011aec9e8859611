# DocLayNet core release (COCO/{train,val,test}.json + PNG/) for instance
# segmentation, following the Detectron2 recipe SelfDocSeg fine-tuned with:
# multi-scale short side 640-800 (max 1333), horizontal flip, test at 800.
dataset_type = 'DocLayNetDataset'
data_root = 'data/DocLayNet/'
backend_args = None

train_pipeline = [
    dict(type='LoadDocImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    # resize_type must name mmdet's box- and mask-aware Resize: the bare
    # 'Resize' resolves to mmcv's under the docseg_mm scope
    dict(
        type='mmdet.RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        resize_type='mmdet.Resize',
        keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs')
]
test_pipeline = [
    dict(type='LoadDocImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='mmdet.PackDetInputs',
        # 'instances' lets CocoMetric evaluate against the dataset's filtered
        # ground truth (precedence != 0 duplicates dropped, boxes clipped)
        # instead of the raw json.
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='COCO/train.json',
        data_prefix=dict(img='PNG/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='COCO/val.json',
        data_prefix=dict(img='PNG/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
# Same loader on the test split.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='COCO/test.json'))

# No ann_file: the metric builds its ground truth from the filtered dataset.
# docseg_mm's CocoMetric is mmdet's with a choice of COCO-eval backend:
# faster-coco-eval gives pycocotools' numbers several times faster on
# DocLayNet val (tools/analysis_tools/coco_eval_speed.py).
val_evaluator = dict(
    type='CocoMetric',
    metric=['bbox', 'segm'],
    backend='faster_coco_eval',
    backend_args=backend_args)
test_evaluator = val_evaluator
