# CPU demo of DiG pretraining (`make demo-dig`): a 3-layer, 96-wide ViT with
# 32x4 patches (one row of 32 column strips instead of 8x32 4x4 patches, to
# fit a few CPU minutes and to give every token one horizontal position) on
# rendered words without their labels (the unlabeled and training words of
# data/demo/rendered_words, converted to LMDBs by tools/misc/run_dig_demo.sh),
# 400 iterations of batch 32.
_base_ = ['./dig_vit-s-p4_8xb128-amp-coslr-10e_cc-ocr.py']

data_root = 'work_dirs/dig_demo/lmdb/'
patch_size = (32, 4)
grid = (32 // patch_size[0], 128 // patch_size[1])
train_pipeline = [
    dict(type='mmpretrain.MultiView', num_views=[1, 1],
         transforms=[{{_base_.view_masked}}, {{_base_.view_augmented}}]),
    dict(type='RandomPatchMask', input_size=grid, mask_ratio=0.7),
    dict(type='mmpretrain.PackInputs', meta_keys=('img_path', )),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, ann_file=['unlabeled', 'train'],
                 pipeline=train_pipeline))

demo_arch = dict(_delete_=True, embed_dims=96, num_layers=3, num_heads=3,
                 feedforward_channels=384)

model = dict(
    backbone=dict(arch=demo_arch, patch_size=patch_size),
    pix_projector=dict(in_channels=96, hid_channels=256, out_channels=96),
    neck=dict(in_channels=96, hid_channels=512, out_channels=128),
    head=dict(predictor=dict(in_channels=128, hid_channels=512,
                             out_channels=128)),
    pix_decoder=dict(in_channels=96, hid_channels=96,
                     out_channels=patch_size[0] * patch_size[1] * 3),
    mim_head=dict(patch_size=patch_size))

max_iters = 400
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=40),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=40,
         end=max_iters),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
sync_bn = None
env_cfg = dict(dist_cfg=dict(backend='gloo'))
