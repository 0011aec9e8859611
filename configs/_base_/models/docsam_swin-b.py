# DocSAM with a Swin-B backbone (208 M parameters with the MiniLM encoder).
# Inputs are raw BGR 0-255 as in the original (no mean/std normalisation),
# so converted released weights see what they were trained on.
model = dict(
    type='DocSAM',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[0.0, 0.0, 0.0],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        # the original pads a batch only to its largest page (Swin pads to
        # its patch / window sizes internally); padding to a multiple of 32
        # would change every page's features
        pad_size_divisor=1,
        pad_mask=False),
    backbone=dict(
        type='mmdet.SwinTransformer',
        pretrain_img_size=384,
        embed_dims=128,
        depths=[2, 2, 18, 2],
        num_heads=[4, 8, 16, 32],
        window_size=12,
        mlp_ratio=4,
        qkv_bias=True,
        drop_path_rate=0.3,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        convert_weights=False),
    neck=dict(
        type='DocSAMPixelDecoder',
        in_channels=[128, 256, 512, 1024],
        strides=[4, 8, 16, 32],
        feat_channels=256,
        num_encoder_layers=6,
        ffn_channels=1024,
        # stride-4 convolutions in channels-last memory format (same
        # values up to float rounding, faster)
        channels_last=True),
    head=dict(
        type='DocSAMHead',
        text_encoder=dict(type='ClassNameEncoder'),
        embed_dims=256,
        text_dims=384,
        num_queries=900,
        decoder=dict(
            num_stages=4,
            num_levels=4,
            num_heads=8,
            ffn_dims=2048,
            dropout=0.1,
            roi_size=7,
            box_delta_scale=100.0,
            query_selection=dict(
                score_thr=0.01, min_num=100, max_num=900, nms_iou=0.9),
            channels_last=True,
            # True only to load the released checkpoints (bias-free
            # query-fusion layers, see configs/docsam/README.md).
            faithful=False)),
    train_cfg=dict(
        assigner=dict(
            type='DocSAMHungarianAssigner',
            match_costs=[
                dict(type='NormalizedClassCost', weight=1.0),
                dict(type='NormalizedMaskCost', weight=2.0),
                dict(type='NormalizedBoxCost', weight=2.0),
            ]),
        stage0_assigner=dict(
            type='DocSAMHungarianAssigner',
            match_costs=[
                dict(type='NormalizedClassCost', weight=1.0),
                dict(type='NormalizedBoxCost', weight=2.0),
            ]),
        jitter_points=True),
    test_cfg=dict(
        mode='whole',
        patch_size=(640, 640),
        stride=(320, 320),
        batch_size=16,
        score_thr=0.01,
        mask_thr=0.5,
        nms_iou=0.25,
        merge_nms_iou=0.5,
        thumb_score_factor=0.75,
        border_score_factor=0.5,
        border_margin=4,
        # True: the original's literal border rule (every window edge
        # counts, also those on the image border)
        faithful_border=False))

# Some parameters are kept only so released checkpoints load (e.g. the
# unused pixel_feat_reducer), as in the original's DDP setting.
find_unused_parameters = True
