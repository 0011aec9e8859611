# Speed reference: DocSAM with Swin-T, 320x320 inputs and 100 instance
# queries, to be measured side by side with
# mask2former_swin-t_1xb2-bench_demo-320px.py (same backbone, input size and
# number of queries) by tools/analysis_tools/benchmark.py.
_base_ = ['../docsam_swin-n_1xb2-400i_demo-two-classsets.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmdet.SwinTransformer',
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        drop_path_rate=0.3,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        convert_weights=False),
    neck=dict(
        _delete_=True,
        type='DocSAMPixelDecoder',
        in_channels=[96, 192, 384, 768],
        strides=[4, 8, 16, 32],
        feat_channels=256,
        num_encoder_layers=6,
        ffn_channels=1024,
        channels_last=True),
    head=dict(
        embed_dims=256,
        num_queries=100,
        decoder=dict(
            _delete_=True,
            num_stages=4,
            num_heads=8,
            ffn_dims=2048,
            query_selection=dict(
                score_thr=0.01, min_num=100, max_num=100, nms_iou=0.9),
            channels_last=True)))
bench_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResizeOrCrop', patch_size=(320, 320), resize_prob=1.0),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'class_names', 'dataset_name', 'task'))
]
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            type='DocSAMCocoDataset',
            dataset_name='DemoDocLayNet',
            task='layout',
            data_root='data/demo/',
            ann_file='COCO/train.json',
            data_prefix=dict(img='PNG/'),
            bbox_as_missing_mask=True,
            drop_nonzero_precedence=True,
            filter_cfg=dict(filter_empty_gt=True, min_size=4),
            pipeline=bench_pipeline)
    ]))
