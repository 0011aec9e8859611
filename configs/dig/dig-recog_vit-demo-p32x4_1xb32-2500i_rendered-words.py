# CPU demo of the DiG recogniser (`make demo-dig`): the demo encoder of
# dig_vit-demo-p32x4_1xb32-400i_rendered-words.py (32x4 patches, 3 layers,
# 96 wide), a 2-layer 128-wide decoder without dropout, fine-tuned 2500
# iterations (lr 2e-3, 100 warm-up steps, cosine) on 20k rendered words and
# tested on 1000 held-out rendered words (and, when `make demo` has made
# them, on the typeset pages' word crops). tools/misc/run_dig_demo.sh runs it
# twice: from the DiG checkpoint and from random initialisation
# (model.backbone.init_cfg=None).
_base_ = ['./dig-recog_vit-s-p4_8xb256-10e_textocr-openimages.py']

data_root = 'work_dirs/dig_demo/lmdb/'
pretrained = 'work_dirs/dig_demo/pretrain/iter_400.pth'
demo_arch = dict(_delete_=True, embed_dims=96, num_layers=3, num_heads=3,
                 feedforward_channels=384)
model = dict(
    backbone=dict(arch=demo_arch, patch_size=(32, 4), drop_rate=0.,
                  attn_drop_rate=0., drop_path_rate=0.,
                  init_cfg=dict(checkpoint=pretrained)),
    neck=dict(in_channels=96, out_channels=128),
    decoder=dict(n_layers=2, d_embedding=128, n_head=4, d_k=32, d_v=32,
                 d_model=128, d_inner=256, dropout=0., max_seq_len=16))

# The rendered words already vary in face, size, slant, blur, noise and
# paper; the ABINet augmentation slowed the demo's training down.
train_pipeline = [
    dict(type='Resize', scale=(128, 32), keep_ratio=False,
         interpolation='bicubic'),
    dict(type='PackTextRecogInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, ann_file=['train'], max_word_len=15,
                 pipeline=train_pipeline))
test_pipeline = train_pipeline  # no augmentation: the same resize
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file=['test'],
                 dataset_names=['rendered'], max_word_len=15,
                 pipeline=test_pipeline))
val_dataloader = test_dataloader
val_evaluator = dict(type='TextRecogMetric')
test_evaluator = dict(type='TextRecogMetric')

max_iters = 2500
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=2e-3),
                     paramwise_cfg=dict(layer_decay_rate=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=100,
         end=max_iters),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters, max_keep_ckpts=1, save_best=None))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
