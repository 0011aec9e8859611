# AlignSeg on a frozen DINO ViT-S/16 (train_voc_config.yml): 5 prototypes
# ("others" last), one post-norm decoder layer (3 heads, FFN 768),
# cosine-softmax assignment, CLS-attention foreground hint.
# Convert DINO's weights first:
#   python tools/model_converters/alignseg_to_docseg.py \
#       dino_deitsmall16_pretrain.pth checkpoints/dino_vits16_docseg.pth
num_queries = 5
data_preprocessor = dict(
    type='MultiCropSegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
model = dict(
    type='AlignSeg',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='CLSAttentionViT',
        arch='deit-small',
        patch_size=16,
        img_size=224,
        norm_cfg=dict(type='LN', eps=1e-6),
        frozen=True,
        pos_interp='dino',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/dino_vits16_docseg.pth',
            prefix='backbone.')),
    decode_head=dict(
        type='AlignSegHead',
        in_channels=384,
        num_queries=num_queries,
        num_layers=1,
        num_heads=3,
        feedforward_channels=768,
        faithful=False,
        loss_corr=dict(
            type='CorrelationAlignmentLoss',
            negative_pressure=0.11,
            loss_weight=0.15),
        loss_query=dict(type='QueryContrastiveLoss', temperature=1.0),
        upsample='bilinear'),
    fg_hint=dict(
        type='CLSAttentionHint', threshold=0.6, blur_kernel=7,
        blur_sigma=0.6, min_component=3),
    faithful_crop_pairing=False,
    test_cfg=dict())
