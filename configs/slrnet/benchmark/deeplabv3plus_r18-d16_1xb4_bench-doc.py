# Benchmark pair, side 2: mmseg's DeepLabV3+ head (depthwise-separable ASPP
# + stride-4 skip decoder, cross-entropy on the pixel labels) on the same
# backbone, batch, page size and optimizer as the SLRNet side.
_base_ = ['../slrnet_r18-d16_1xb4-300i_demo-doc-full.py']
model = dict(
    _delete_=True,
    type='mmseg.EncoderDecoder',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    decode_head=dict(
        type='mmseg.DepthwiseSeparableASPPHead',
        in_channels=128,
        in_index=1,
        channels=32,
        dilations=(1, 2, 4, 6),
        c1_in_channels=16,
        c1_channels=8,
        dropout_ratio=0.1,
        num_classes=12,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='mmseg.CrossEntropyLoss',
                         use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
custom_hooks = []
