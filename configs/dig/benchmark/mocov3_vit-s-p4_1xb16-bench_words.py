# mmpretrain's MoCo v3 on the same ViT-S/4 text encoder (mean of the 256
# tokens as the image feature), batch 16, 32x128 words: the reference side
# of the DiG step-time ratio (tools/analysis_tools/benchmark.py).
_base_ = ['./dig_vit-s-p4_1xb16-bench_words.py']

view = {{_base_.view_augmented}}
train_pipeline = [
    dict(type='mmpretrain.MultiView', num_views=2, transforms=[view]),
    dict(type='mmpretrain.PackInputs', meta_keys=('img_path', )),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
mlp = dict(type='mmpretrain.NonLinearNeck', with_bias=False,
           with_last_bn=True, with_last_bn_affine=False, with_last_bias=False,
           with_avg_pool=False, norm_cfg=dict(type='BN1d'))
temperature = 0.2
model = dict(
    _delete_=True,
    type='mmpretrain.MoCoV3',
    base_momentum=0.01,
    data_preprocessor=dict(type='mmpretrain.SelfSupDataPreprocessor',
                           mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
    backbone=dict(type='DiGViT', arch='small', img_size=(32, 128),
                  patch_size=4, with_mask_token=False,
                  out_type='avg_featmap'),
    neck=dict(**mlp, in_channels=384, hid_channels=4096, out_channels=256,
              num_layers=3),
    head=dict(type='mmpretrain.MoCoV3Head',
              predictor=dict(**mlp, in_channels=256, hid_channels=4096,
                             out_channels=256, num_layers=2),
              loss=dict(type='mmpretrain.CrossEntropyLoss',
                        loss_weight=2 * temperature),
              temperature=temperature))
