# SLRNet sized for 2 CPU cores: a quarter-width ResNet-18 (mmseg ResNetV1c,
# output stride 16, trained from scratch: no pretrained weights here) and a
# 32-channel SLRHead with ASPP dilations scaled to the small maps.
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=16)
norm_cfg = dict(type='BN', momentum=0.05, requires_grad=True)
model = dict(
    type='SLRNet',
    data_preprocessor=data_preprocessor,
    mode='wsss',
    view_scale=0.5,
    loss_weights=dict(cls=1.0, reg=4.0, code=4.0, seg=1.0),
    # pages carry 5-8 tags: the original's gate (pseudo labels must hold
    # exactly the tagged classes + background) would zero almost every
    # page's seg loss
    pseudo_batch_gate=False,
    pseudo_label=dict(type='relative', bg_factor=0.7, fg_factor=0.6,
                      low=0.2),
    pamr=dict(num_iter=10, dilations=(1, 2, 4, 8, 12, 24)),
    backbone=dict(
        type='mmseg.ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        contract_dilation=True),
    decode_head=dict(
        type='SLRHead',
        in_channels=(16, 128),
        channels=32,
        skip_channels=8,
        num_classes=12,
        dilations=(1, 2, 4, 6),
        freeze_aspp_bn_stats=False,
        norm_cfg=norm_cfg,
        align_corners=True),
    test_cfg=dict(mode='whole', class_select='predicted', fp_cut=0.3,
                  topk=None, bg_pow=3, crf=None))
