# DocSAM sized for 2 CPU cores, trained on the embedded demo pages under two
# class-name sets at once (11 DocLayNet names and a coarse text/table/figure
# relabelling); evaluation prints per-dataset metrics for both sets.
#   python tools/misc/generate_demo_data.py --out data/demo
#   make demo-docsam   (or tools/misc/run_docsam_demo.sh WORK_DIR)
_base_ = [
    '../_base_/models/docsam_swin-b.py',
    '../_base_/datasets/docsam_demo_mixed.py',
    '../_base_/schedules/schedule_iter_adamw.py',
    '../_base_/default_runtime.py'
]

# A "nano" Swin (no pretrained weights can be downloaded here) and a 64-wide
# DocSAM head with 100 instance queries.
model = dict(
    backbone=dict(
        pretrain_img_size=224,
        embed_dims=32,
        depths=[2, 2, 2, 2],
        num_heads=[1, 2, 4, 8],
        window_size=7,
        drop_path_rate=0.1),
    neck=dict(
        in_channels=[32, 64, 128, 256],
        feat_channels=64,
        num_heads=4,
        num_encoder_layers=2,
        ffn_channels=256,
        fusion_mid_channels=32,
        norm_cfg=dict(type='GN', num_groups=8)),
    head=dict(
        embed_dims=64,
        num_queries=100,
        decoder=dict(
            num_stages=2,
            num_heads=4,
            ffn_dims=256,
            num_groups=8,
            box_delta_scale=50.0,
            query_selection=dict(
                score_thr=0.01, min_num=30, max_num=100, nms_iou=0.9))),
    test_cfg=dict(mode='whole', max_per_img=100))

val_evaluator = dict(
    type='PerDatasetMetric',
    dataset_metrics=[
        dict(type='DocCocoMetric', metric=['bbox', 'segm'],
             max_dets=(10, 100, 100)),
        dict(type='MultiLabelIoUMetric'),
        dict(type='MeanF1Metric'),
    ])
test_evaluator = val_evaluator

max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-4, weight_decay=0.01),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0,
         end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=max_iters,
         eta_min=0.0)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100,
                    max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
