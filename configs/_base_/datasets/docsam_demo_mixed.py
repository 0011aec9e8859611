# DocSAM-style heterogeneous training on the embedded demo set: the same
# demo COCO file (`python tools/misc/generate_demo_data.py --out data/demo`)
# used twice, once with its 11 DocLayNet classes and once relabelled to
# text / table / figure. Each sample carries its own dataset's class names
# (+ "<dataset> _background_" last), dataset name and task family.
data_root = 'data/demo/'
backend_args = None
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'class_names', 'dataset_name', 'task')

train_pipeline = [
    dict(type='LoadDocImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomShortSideResize', short_range=(288, 352)),
    dict(type='RandomResizeOrCrop', patch_size=(256, 256)),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(type='LoadDocImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomShortSideResize', test_short=320, long_max_ratio=2.0),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys + ('instances', ))
]

demo_doclaynet = dict(
    type='DocSAMCocoDataset',
    dataset_name='DemoDocLayNet',
    task='layout',
    data_root=data_root,
    data_prefix=dict(img='PNG/'),
    bbox_as_missing_mask=True,
    drop_nonzero_precedence=True,
    backend_args=backend_args)
demo_coarse = dict(
    demo_doclaynet,
    dataset_name='DemoCoarse',
    # DOCLAYNET_TO_COARSE of docseg_mm.datasets.docsam_coco; single entries
    # can be changed, e.g. class_map=dict(_preset_=..., Table='grid')
    class_map=dict(_preset_='doclaynet_to_coarse'))

train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DatasetMixSampler', mode='sqrt_classes'),
    dataset=dict(
        type='HeterogeneousDataset',
        datasets=[
            dict(
                demo_doclaynet,
                ann_file='COCO/train.json',
                filter_cfg=dict(filter_empty_gt=True, min_size=4),
                pipeline=train_pipeline),
            dict(
                demo_coarse,
                ann_file='COCO/train.json',
                filter_cfg=dict(filter_empty_gt=True, min_size=4),
                pipeline=train_pipeline)
        ]))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HeterogeneousDataset',
        datasets=[
            dict(
                demo_doclaynet,
                ann_file='COCO/val.json',
                test_mode=True,
                pipeline=test_pipeline),
            dict(
                demo_coarse,
                ann_file='COCO/val.json',
                test_mode=True,
                pipeline=test_pipeline)
        ]))
test_dataloader = val_dataloader
