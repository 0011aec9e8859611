# Document pages for AlignSeg: training on page images without labels,
# evaluation on semantic masks (0 background, i + 1 = class i, 255 ignored
# outline band) written by docseg_mm.datasets.converters.coco_to_semantic.
# Read with mmseg's BaseSegDataset: img_dir PNG/, ann_dir SEM/, split lists
# SEM/{train,val}.txt (one file stem per line). The demo set (data/demo) is
# the default; point data_root at DocLayNet's PNG/ + SEM/ for the real data.
doc_classes = ('background', 'Caption', 'Footnote', 'Formula', 'List-item',
               'Page-footer', 'Page-header', 'Picture', 'Section-header',
               'Table', 'Text', 'Title')
dataset_type = 'mmseg.BaseSegDataset'
data_root = 'data/demo/'
page_scale = (448, 576)  # (w, h) of the evaluated pages
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AlignSegMultiCrop', num_local=2, global_size=224,
         local_size=224, global_scale=(0.5, 1.0), local_scale=(0.05, 0.25),
         min_intersection=0.05, interpolation='area'),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('crop_boxes', ),
         meta_keys=('img_path', 'ori_shape')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=page_scale, keep_ratio=False,
         interpolation='area'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
_pages = dict(
    type=dataset_type,
    data_root=data_root,
    metainfo=dict(classes=doc_classes),
    img_suffix='.png',
    seg_map_suffix='.png')
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        **_pages,
        ann_file='SEM/train.txt',
        data_prefix=dict(img_path='PNG'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **_pages,
        ann_file='SEM/val.txt',
        data_prefix=dict(img_path='PNG', seg_map_path='SEM'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PerImageClusterIoUMetric', eval_size=100),
    dict(type='MatchedClusterIoUMetric', num_clusters=5,
         matching='hungarian', eval_size=100, prefix='hungarian'),
]
test_evaluator = val_evaluator
