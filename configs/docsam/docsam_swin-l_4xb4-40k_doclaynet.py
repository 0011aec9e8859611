# DocSAM-Large fine-tuned on DocLayNet from the all-dataset model
# (4 GPUs x 4 images, 800x800 patches, lr 2e-5, 40k iterations, cosine).
# Convert the released weights first:
#   python tools/model_converters/docsam_to_docseg.py \
#       docsam_large_all_dataset.pth checkpoints/docsam_large_all_dataset.pth
_base_ = ['./docsam_swin-l_8xb4-360k_mixed-docs.py']
load_from = 'checkpoints/docsam_large_all_dataset.pth'
model = dict(
    backbone=dict(init_cfg=None),
    # the released weights have bias-free query-fusion layers
    head=dict(decoder=dict(faithful=True)))

data_root = 'data/DocLayNet/'
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'class_names', 'dataset_name', 'task')
train_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomShortSideResize', short_range=(704, 896)),
    dict(type='RandomResizeOrCrop', patch_size=(800, 800), resize_prob=0.2),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomShortSideResize', test_short=800, long_max_ratio=2.0),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys + ('instances', ))
]
# The official COCO files; category names (alphabetical in DocLayNet) are
# the class-name prompts, "DocLayNet _background_" is appended.
doclaynet = dict(
    type='DocSAMCocoDataset',
    dataset_name='DocLayNet',
    task='layout',
    data_root=data_root,
    data_prefix=dict(img='PNG/'),
    bbox_as_missing_mask=True,
    drop_nonzero_precedence=True)
train_dataloader = dict(
    batch_size=4,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='HeterogeneousDataset',
        datasets=[
            dict(
                doclaynet,
                ann_file='COCO/train.json',
                filter_cfg=dict(filter_empty_gt=False),
                pipeline=train_pipeline)
        ]))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='HeterogeneousDataset',
        datasets=[
            dict(
                doclaynet,
                ann_file='COCO/val.json',
                test_mode=True,
                pipeline=test_pipeline)
        ]))
test_dataloader = val_dataloader

max_iters = 40000
train_cfg = dict(max_iters=max_iters, val_interval=5000)
optim_wrapper = dict(optimizer=dict(lr=2e-5))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        eta_min=0.0)
]
auto_scale_lr = dict(base_batch_size=16)
