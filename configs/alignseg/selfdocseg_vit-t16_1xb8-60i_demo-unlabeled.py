# Demo backbone for AlignSeg (`make demo-alignseg`): no pretrained ViT can be
# downloaded, so a small ViT (192 wide, 6 layers, 3 heads, patch 16) is
# pretrained with the toolkit's SelfDocSeg on the embedded unlabeled pages
# (data/demo/unlabeled): BYOL on pseudo-layout objects plus layout-mask
# prediction, the original recipe (pages resized, colour-augmented views),
# at 224 x 288 for 60 iterations on CPU (about 2.5 min on 2 cores). The
# first version trained 200 iterations; the k-means baseline on its tokens
# scored about the same (23.2 / 12.7 vs 23.6 / 13.4 mIoU, protocols 1 / 2)
# and both sides of the comparison use the same frozen ViT, so the shorter
# schedule costs the demo nothing. The ViT is mmpretrain's VisionTransformer, which AlignSeg's CLSAttentionViT extends, so its
# `backbone.*` weights load without conversion. SelfDocSeg never uses the
# CLS token, so the AlignSeg demo takes the pseudo-layout mask as its
# foreground hint instead of CLS attention.
_base_ = ['../selfdocseg/selfdocseg_resnet18_1xb4-200i_demo-unlabeled.py']

page_size = (224, 288)
grid_size = (28, 36)  # ViT tokens (stride 16) upsampled x2 = page / 8
train_pipeline = [
    dict(type='LoadTiffPage'),
    dict(type='PseudoLayoutMask', work_size=page_size, resize_img=True,
         threshold=239, kernel_shape='rect', kernel_size=3, iterations=1,
         objects_on='grid'),
    dict(type='LayoutMaskToGrid', grid_size=grid_size, to_tensor=True),
    dict(type='mmpretrain.MultiView', num_views=[1, 1],
         transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=('layout_mask', 'object_masks')),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch=dict(embed_dims=192, num_layers=6, num_heads=3,
                  feedforward_channels=768),
        img_size=224,
        patch_size=16,
        out_type='featmap',
        final_norm=True),
    neck=dict(in_channels=192, hid_channels=1024, out_channels=128),
    head=dict(predictor=dict(in_channels=128, hid_channels=1024,
                             out_channels=128)),
    layout_head=dict(in_channels=384),
    feat_upsample=2)

max_iters = 60
warmup_iters = 10
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         by_epoch=False, begin=warmup_iters, end=max_iters, eta_min=1e-5)
]
custom_hooks = []
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters))
randomness = dict(seed=0)
