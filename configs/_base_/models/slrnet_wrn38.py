# SLRNet (IJCV 2022): WideResNet-38 (output stride 8) + SLRHead, two views.
norm_cfg = dict(type='SyncBN', momentum=0.05, requires_grad=True)
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    # whole images of any size at test time, as the original (no padding)
    size_divisor=1)
model = dict(
    type='SLRNet',
    data_preprocessor=data_preprocessor,
    mode='wsss',
    view_scale=0.5,
    loss_weights=dict(cls=1.0, reg=4.0, code=4.0, seg=1.0),
    aux_weight=0.4,
    cls_loss=dict(type='mlsm'),
    # the original's call ignores its config's cut-offs (0.6 / 0.2 always)
    pseudo_label=dict(type='relative', bg_factor=0.7, fg_factor=0.6,
                      low=0.2),
    pamr=dict(num_iter=10, dilations=(1, 2, 4, 8, 12, 24)),
    backbone=dict(
        type='WideResNet38',
        out_keys=('conv3', 'conv6'),
        norm_eval=True,
        # converted ilsvrc-cls_rna-a1_cls1000_ep-0001.pth, see README
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/wrn38_ilsvrc_cls1000_docseg.pth')),
    decode_head=dict(
        type='SLRHead',
        in_channels=(256, 4096),
        channels=256,
        skip_channels=48,
        num_classes=21,
        dilations=(1, 12, 24, 36),
        gate_alpha=0.3,
        constant_bg=True,
        cvlr=dict(num_iters=1, temperature=1.0),
        norm_cfg=norm_cfg,
        align_corners=True),
    train_cfg=dict(),
    # README protocol for val: predicted classes (sigmoid > 0.3, top 6),
    # background ** 3, dense CRF.
    test_cfg=dict(
        mode='whole',
        class_select='predicted',
        fp_cut=0.3,
        topk=6,
        bg_pow=3,
        cvlr_iters=1,
        crf=dict(iters=10, gauss_sxy=3, gauss_compat=3, bi_sxy=80,
                 bi_srgb=13, bi_compat=10)))
# multi-scale + flip test (tools/test.py --tta)
tta_model = dict(type='SLRNetTTAModel')
