# DocSAM's heterogeneous training set: every dataset folder of the original
# training scripts as one config entry, in the original's per-folder format
# (`image/`, `coco/<stem>.json` per image, `list*.txt` split files; see
# configs/docsam/README.md). Point `docsam_root` (or an entry's `root`) at
# your copy; entries you do not have can be removed from `train_sets`.
# Samples of each dataset carry its class names (+ "<name> _background_").
docsam_root = 'data/docsam/'
backend_args = None
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'class_names', 'dataset_name', 'task')

# (task family, dataset name, folder under docsam_root, evaluation folder)
# Evaluation folders are train splits where no public test GT exists
# (beware of overlap with the training data), as in the original.
layout_sets = [
    ('layout', 'BaDLAD', 'Layout/BaDLAD/train/', 'Layout/BaDLAD/train/'),
    ('layout', 'CDLA', 'Layout/CDLA/train/', 'Layout/CDLA/val/'),
    ('layout', 'D4LA', 'Layout/D4LA/train/', 'Layout/D4LA/test/'),
    ('layout', 'DocBank', 'Layout/DocBank/train/', 'Layout/DocBank/test/'),
    ('layout', 'DocLayNet', 'Layout/DocLayNet/DocLayNet_core/train/',
     'Layout/DocLayNet/DocLayNet_core/test/'),
    ('layout', 'ICDAR2017-POD', 'Layout/ICDAR2017_POD/train/',
     'Layout/ICDAR2017_POD/test/'),
    ('layout', 'IIIT-AR-13K', 'Layout/IIIT-AR-13K/train/',
     'Layout/IIIT-AR-13K/test/'),
    ('layout', 'M6Doc', 'Layout/M6Doc/train/', 'Layout/M6Doc/test/'),
    ('layout', 'PubLayNet', 'Layout/PubLayNet/train/',
     'Layout/PubLayNet/val/'),
    ('layout', 'RanLayNet', 'Layout/RanLayNet/train/',
     'Layout/RanLayNet/test/'),
]
ancient_sets = [
    ('ancient', 'CASIA-AHCDB Style1', 'Ancient/CASIA-AHCDB/Style1/train/',
     'Ancient/CASIA-AHCDB/Style1/test/'),
    ('ancient', 'CASIA-AHCDB Style2', 'Ancient/CASIA-AHCDB/Style2/train/',
     'Ancient/CASIA-AHCDB/Style2/test/'),
    ('ancient', 'CHDAC-2022', 'Ancient/CHDAC-2022/train/',
     'Ancient/CHDAC-2022/train/'),
    ('ancient', 'ICDAR2019HDRC', 'Ancient/ICDAR2019HDRC/train/',
     'Ancient/ICDAR2019HDRC/train/'),
    ('ancient', 'SCUT-CAB logical', 'Ancient/SCUT-CAB/logical/train/',
     'Ancient/SCUT-CAB/logical/test/'),
    ('ancient', 'SCUT-CAB physical', 'Ancient/SCUT-CAB/physical/train/',
     'Ancient/SCUT-CAB/physical/test/'),
    ('ancient', 'TKHMTH2200', 'Ancient/TKHMTH2200/train/',
     'Ancient/TKHMTH2200/test/'),
    ('ancient', 'HJDataset', 'Layout/HJDataset/train/',
     'Layout/HJDataset/test/'),
]
handwritten_sets = [
    ('handwritten', 'CASIA-HWDB', 'Handwritten/CASIA-HWDB/train/',
     'Handwritten/CASIA-HWDB/test/'),
    ('handwritten', 'SCUT-HCCDoc', 'Handwritten/SCUT-HCCDoc/train/',
     'Handwritten/SCUT-HCCDoc/test/'),
]
table_sets = [
    ('table', 'FinTabNet', 'Table/FinTabNet/train/', 'Table/FinTabNet/test/'),
    ('table', 'FinTabNet.c-Structure', 'Table/FinTabNet.c-Structure/train/',
     'Table/FinTabNet.c-Structure/test/'),
    ('table', 'ICDAR2017-POD Table', 'Table/ICDAR2017_POD/train/',
     'Table/ICDAR2017_POD/test/'),
    ('table', 'ICDAR2019 cTDaR Archival', 'Table/ICDAR2019_cTDaR/archival/'
     'train/', 'Table/ICDAR2019_cTDaR/archival/test/'),
    ('table', 'ICDAR2019 cTDaR Modern', 'Table/ICDAR2019_cTDaR/modern/train/',
     'Table/ICDAR2019_cTDaR/modern/test/'),
    ('table', 'NTable-gen', 'Table/NTable/gen/train/',
     'Table/NTable/gen/test/'),
    ('table', 'NTable-cam', 'Table/NTable/cam/train/',
     'Table/NTable/cam/test/'),
    ('table', 'PubTables-1M-Detection', 'Table/PubTables-1M/Detection/train/',
     'Table/PubTables-1M/Detection/test/'),
    ('table', 'PubTables-1M-Structure', 'Table/PubTables-1M/Structure/train/',
     'Table/PubTables-1M/Structure/test/'),
    ('table', 'PubTabNet', 'Table/PubTabNet/train/', 'Table/PubTabNet/val/'),
    ('table', 'STDW', 'Table/STDW/train/', 'Table/STDW/test/'),
    ('table', 'TableBank latex', 'Table/TableBank/latex/train/',
     'Table/TableBank/latex/test/'),
    ('table', 'TableBank word', 'Table/TableBank/word/train/',
     'Table/TableBank/word/test/'),
    ('table', 'TNCR', 'Table/TNCR/train/', 'Table/TNCR/test/'),
    ('table', 'WTW', 'Table/WTW/train/', 'Table/WTW/test/'),
]
scene_text_sets = [
    ('scenetext', name, f'SceneText/{folder}/train/',
     f'SceneText/{folder}/{split}/')
    for name, folder, split in [
        ('CASIA-10k', 'CASIA-10k', 'test'),
        ('COCO-Text', 'COCO-Text', 'val'),
        ('CTW-1500', 'CTW-1500', 'test'),
        ('CTW-Public', 'CTW-Public', 'test'),
        ('HUST-TR400', 'HUST-TR400', 'test'),
        ('ICDAR2013 Born-Digital', 'ICDAR2013/Task1.1', 'test'),
        ('ICDAR2013 Focused Scene Text', 'ICDAR2013/Task2.1', 'test'),
        ('ICDAR2015 Incidental', 'ICDAR2015/Task4.1', 'test'),
        ('RCTW-17', 'RCTW-17', 'train'),
        ('ICDAR2017-MLT', 'ICDAR2017-MLT', 'val'),
        ('ICDAR2019-ArT', 'ICDAR2019-ArT', 'train'),
        ('ICDAR2019-LSVT', 'ICDAR2019-LSVT', 'train'),
        ('ICDAR2019-MLT Task1', 'ICDAR2019-MLT/Task1', 'train'),
        ('ICDAR2019-MLT Task4', 'ICDAR2019-MLT/Task4', 'train'),
        ('ICDAR2019-ReCTS', 'ICDAR2019-ReCTS', 'train'),
        ('ICDAR2023-HierText', 'ICDAR2023-HierText', 'val'),
        ('ICDAR2023-ReST', 'ICDAR2023-ReST', 'train'),
        ('ICPR2018-MTWI', 'ICPR2018-MTWI', 'train'),
        ('MSRA-TD500', 'MSRA-TD500', 'test'),
        ('ShopSign', 'ShopSign_1265', 'test'),
        ('Total-Text', 'Total-Text', 'test'),
        ('USTB-SV1K', 'USTB-SV1K', 'test'),
    ]
]
train_sets = (
    layout_sets + ancient_sets + handwritten_sets + table_sets +
    scene_text_sets)
# Evaluated but not trained on (commented out of the original's training).
extra_eval_sets = [
    ('table', 'ICDAR2013 Table', None, 'Table/ICDAR2013/test/'),
]

train_pipeline = [
    dict(type='LoadDocImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomShortSideResize', short_range=(704, 896)),
    dict(type='RandomResizeOrCrop', patch_size=(640, 640), resize_prob=0.2),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(type='LoadDocImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomShortSideResize', test_short=800, long_max_ratio=2.0),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys + ('instances', ))
]

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DatasetMixSampler', mode='sqrt_classes'),
    dataset=dict(
        type='HeterogeneousDataset',
        datasets=[
            dict(
                type='DocSAMFolderDataset',
                data_root=docsam_root + folder,
                split_file='list.txt',
                dataset_name=name,
                task=task,
                filter_cfg=dict(filter_empty_gt=False),
                pipeline=train_pipeline)
            for task, name, folder, _ in train_sets
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HeterogeneousDataset',
        datasets=[
            dict(
                type='DocSAMFolderDataset',
                data_root=docsam_root + eval_folder,
                split_file='list.txt',
                dataset_name=name,
                task=task,
                test_mode=True,
                pipeline=test_pipeline)
            for task, name, _, eval_folder in train_sets + extra_eval_sets
        ]))
test_dataloader = val_dataloader

# DocSAM's columns, per dataset and averaged; maxDets as the original.
val_evaluator = dict(
    type='PerDatasetMetric',
    dataset_metrics=[
        dict(type='DocCocoMetric', metric=['bbox', 'segm'],
             max_dets=(40, 400, 4000), backend='faster_coco_eval'),
        dict(type='MultiLabelIoUMetric'),
        dict(type='MeanF1Metric'),
    ])
test_evaluator = val_evaluator
