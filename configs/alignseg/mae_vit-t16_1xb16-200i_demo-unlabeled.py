# Demo backbone for AlignSeg (`make demo-alignseg`): no pretrained ViT can be
# downloaded, so a small ViT (192 wide, 6 layers, 3 heads, patch 16) is
# pretrained with mmpretrain's MAE on the embedded unlabeled pages
# (data/demo/unlabeled) for 200 iterations on CPU. MAE trains the plain
# mmpretrain VisionTransformer that AlignSeg's CLSAttentionViT extends, so
# its `backbone.*` weights load without conversion. MAE gives the CLS token
# no training signal, so the AlignSeg demo uses the pseudo-layout mask as
# the foreground hint instead of CLS attention.
_base_ = ['../_base_/default_runtime.py']
vit_arch = dict(embed_dims=192, num_layers=6, num_heads=3,
                feedforward_channels=768)
model = dict(
    type='mmpretrain.MAE',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(type='MAEViT', arch=vit_arch, patch_size=16,
                  img_size=224, mask_ratio=0.75),
    neck=dict(type='MAEPretrainDecoder', patch_size=16, in_chans=3,
              num_patches=196, embed_dim=192, decoder_embed_dim=128,
              decoder_depth=2, decoder_num_heads=4, mlp_ratio=4.),
    head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
              loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224,
         crop_ratio_range=(0.1, 1.0), backend='cv2', interpolation='area'),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='PageImageFolder', data_root='data/demo/',
                 data_prefix='unlabeled/', pipeline=train_pipeline))
max_iters = 200
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={
        'ln': dict(decay_mult=0.0),
        'bias': dict(decay_mult=0.0),
        'pos_embed': dict(decay_mult=0.),
        'mask_token': dict(decay_mult=0.),
        'cls_token': dict(decay_mult=0.)
    }))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', T_max=max_iters - 20, by_epoch=False,
         begin=20, end=max_iters, eta_min=1e-5)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=25),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters,
                    max_keep_ckpts=1),
    visualization=dict(_delete_=True, type='mmpretrain.VisualizationHook',
                       enable=False))
visualizer = dict(_delete_=True, type='mmpretrain.UniversalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')])
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
