# DiG pretraining (ViT-S, 4x4 patches, 32x128 words): SimMIM-style masking
# (70% of the 256 patches) + MoCo v3 window contrast, 10 epochs on unlabeled
# real word crops ("CC-OCR" in DiG's README), 8 GPUs x 128 = 1024.
_base_ = ['../_base_/default_runtime.py']

# Unlabeled word-image LMDB(s) (image-%09d + num-samples; labels ignored).
data_root = 'data/dig/'
unlabeled_lmdbs = ['unlabeled/CC-OCR']
img_size = (32, 128)  # (H, W)

view_masked = [
    dict(type='Resize', scale=img_size[::-1], keep_ratio=False,
         interpolation='bicubic'),
]
view_augmented = [
    dict(type='TextSeqCLRAugment', num_ops=(2, 5)),
    dict(type='Resize', scale=img_size[::-1], keep_ratio=False,
         interpolation='bicubic'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.2, hue=0.1)
    ]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
]
train_pipeline = [
    dict(type='mmpretrain.MultiView', num_views=[1, 1],
         transforms=[view_masked, view_augmented]),
    dict(type='RandomPatchMask', input_size=(8, 32), mask_ratio=0.7),
    dict(type='mmpretrain.PackInputs', meta_keys=('img_path', )),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='UnlabeledLMDBDataset', data_root=data_root,
                 ann_file=unlabeled_lmdbs, pipeline=train_pipeline))

mlp = dict(type='mmpretrain.NonLinearNeck', with_bias=False,
           with_last_bn=True, with_last_bn_affine=False, with_last_bias=False,
           with_avg_pool=False, norm_cfg=dict(type='BN1d'))
temperature = 0.2
model = dict(
    type='DiG',
    data_preprocessor=dict(type='mmpretrain.SelfSupDataPreprocessor',
                           mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
    backbone=dict(type='DiGViT', arch='small', img_size=img_size,
                  patch_size=4, drop_path_rate=0., final_norm=False,
                  out_type='raw', patch_init='mocov3'),
    pix_projector=dict(**mlp, in_channels=384, hid_channels=512,
                       out_channels=384, num_layers=3),
    neck=dict(**mlp, in_channels=384, hid_channels=4096, out_channels=256,
              num_layers=3),
    head=dict(type='DiGContrastHead',
              predictor=dict(**mlp, in_channels=256, hid_channels=4096,
                             out_channels=256, num_layers=2),
              loss=dict(type='mmpretrain.CrossEntropyLoss',
                        loss_weight=2 * temperature),
              temperature=temperature),
    pix_decoder=dict(type='DiGPixelDecoder', in_channels=384,
                     hid_channels=192, out_channels=48),
    mim_head=dict(type='DiGMIMHead', patch_size=4, norm_target=False),
    num_windows=4,
    base_momentum=0.01,  # momentum 0.99 -> 1 (cosine over the run)
    end_momentum=0.,
    loss_weight_mim=1.0,
    loss_weight_contrast=0.1)

# AdamW, lr 1.5e-4 * 1024 / 256, wd 0.1 except on 1-D parameters and biases.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-4, betas=(0.9, 0.999), eps=1e-8,
                   weight_decay=0.1),
    paramwise_cfg=dict(flat_decay_mult=0.0, bias_decay_mult=0.0))
max_epochs = 10
# 5000 linear warm-up steps from ~0, cosine to 1e-5 over the run (the
# cosine also runs during the warm-up, where its factor is ~1).
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=5000),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
# DiG converts BatchNorm to SyncBatchNorm under DDP.
sync_bn = 'torch'
find_unused_parameters = False
auto_scale_lr = dict(base_batch_size=1024)
